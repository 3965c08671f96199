package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"github.com/pquerna/otp"
)

// The enrolment QR code is drawn qrSize pixels square, twice the size the
// page shows it at so that it stays sharp on dense screens, inside a white
// border of qrMargin pixels. The library centres the code in qrSize with
// whole pixels per module; an otpauth:// URL is at least 118 bytes, so at
// least a version 7 code (45 modules) at no more than 8 pixels a module, and
// the border alone is the four modules of quiet zone scanners need.
const (
	qrSize   = 400
	qrMargin = 40
)

// totpQRCode draws the otpauth:// URL as a QR code, a black and white PNG in
// a data: URL: drawn here on the server, no script needed, and the CSP
// allows data: images.
func totpQRCode(uri string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", fmt.Errorf("TOTP QR code: %w", err)
	}
	code, err := key.Image(qrSize, qrSize)
	if err != nil {
		return "", fmt.Errorf("TOTP QR code: %w", err)
	}
	// The palette's first colour, white, is what a new image holds.
	canvas := image.NewPaletted(image.Rect(0, 0, qrSize+2*qrMargin, qrSize+2*qrMargin), color.Palette{color.White, color.Black})
	draw.Draw(canvas, code.Bounds().Add(image.Pt(qrMargin, qrMargin)), code, code.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, canvas); err != nil {
		return "", fmt.Errorf("TOTP QR code: %w", err)
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}
