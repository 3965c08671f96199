package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

func TestZZShots(t *testing.T) {
	b := newBrowser(t)
	s := startServer(t, nil, "demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(t.TempDir(), "demo"))
	pw := demoPassword(t, s.Stdout.String(), "priya.shah@riverside.example")
	api := newAssessAPI(t, s.URL, "priya.shah@riverside.example", pw)
	id := api.draftAssessment()
	browserSignIn(b, s.URL, "priya.shah@riverside.example", pw, "/orgs/riverside")
	os.MkdirAll("/tmp/shots", 0o755)
	pages := map[string]string{"dash": "/orgs/riverside", "overview": fmt.Sprintf("/orgs/riverside/assessments/%d", id),
		"entry": fmt.Sprintf("/orgs/riverside/assessments/%d/entries/164.308(a)(4)(ii)(A)", id), "compare": "/orgs/riverside/assessments/compare?a=1&b=2", "profile": "/orgs/riverside/profile", "list": "/orgs/riverside/assessments"}
	for name, p := range pages {
		for _, mode := range []struct {
			n    string
			w    int64
			dark bool
		}{{"wide", 1280, false}, {"phone", 390, false}, {"dark", 1280, true}} {
			scheme := "light"
			if mode.dark {
				scheme = "dark"
			}
			b.Do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: mode.w, Height: 900, DeviceScaleFactor: 1}); err != nil {
					return err
				}
				_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
				return err
			}), chromedp.Navigate(s.URL+p), chromedp.WaitVisible(chromedp.CSS("footer")))
			for i, sel := range []string{"h1", "#current-h", "#posture-h", "#response-h"} {
				n := value(b, chromedp.Evaluate[bool](`(() => { const e = document.querySelector("`+sel+`"); if (!e) return false; e.scrollIntoView(); return true })()`))
				if !n {
					continue
				}
				png := value(b, chromedp.CaptureScreenshot())
				os.WriteFile(fmt.Sprintf("/tmp/shots/%s-%s-%d.png", name, mode.n, i), png, 0o644)
			}
		}
	}
}
