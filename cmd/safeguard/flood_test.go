package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSignInFloodMemory measures a built Safeguard binary (named by
// SAFEGUARD_FLOOD_BIN) under a flood of sign-ins: 64 clients sign in over
// the API for 20 seconds against a demo instance while the server's
// resident memory is sampled from /proc. It reports the answers, the
// latency of successful sign-ins and the memory at its peak, at the end of
// the flood and a while after. It runs only when asked, on Linux:
//
//	go build -o /tmp/sg ./cmd/safeguard
//	SAFEGUARD_FLOOD_BIN=/tmp/sg go test ./cmd/safeguard -run TestSignInFloodMemory -v
//
// SAFEGUARD_FLOOD_ARGS adds serve flags (e.g. "--memory-limit 320");
// SAFEGUARD_FLOOD_AFTER sets the wait after the flood (default 20s).
func TestSignInFloodMemory(t *testing.T) {
	bin := os.Getenv("SAFEGUARD_FLOOD_BIN")
	if bin == "" {
		t.Skip("set SAFEGUARD_FLOOD_BIN to a built safeguard binary to measure it")
	}
	after := 20 * time.Second
	if v := os.Getenv("SAFEGUARD_FLOOD_AFTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		after = d
	}
	const clients, flood = 64, 20 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"demo", "--addr", addr, "--data", filepath.Join(t.TempDir(), "demo"), "--log-level", "error"},
		strings.Fields(os.Getenv("SAFEGUARD_FLOOD_ARGS"))...)
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	password := regexp.MustCompile(`lena\.fischer@riverside\.example\s+(\S+)`)
	sc := bufio.NewScanner(out)
	var pw string
	for sc.Scan() {
		if m := password.FindStringSubmatch(sc.Text()); m != nil {
			pw = m[1]
		}
		if strings.Contains(sc.Text(), "is serving") {
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if pw == "" {
		t.Fatal("the demo printed no password for lena.fischer")
	}
	pid := cmd.Process.Pid
	rss := func(field string) int {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 1 && f[0] == field+":" {
				n, _ := strconv.Atoi(f[1])
				return n / 1024
			}
		}
		return 0
	}
	body := []byte(`{"email":"lena.fischer@riverside.example","password":"` + pw + `"}`)
	idle := rss("VmRSS")
	var mu sync.Mutex
	codes := map[int]int{}
	var lat []time.Duration
	stop := time.Now().Add(flood)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: time.Minute}
			for time.Now().Before(stop) {
				t0 := time.Now()
				resp, err := c.Post("http://"+addr+"/api/v1/login", "application/json", bytes.NewReader(body))
				d, code := time.Since(t0), 0
				if err == nil {
					code = resp.StatusCode
					resp.Body.Close()
				}
				mu.Lock()
				codes[code]++
				if code == http.StatusOK {
					lat = append(lat, d)
				}
				mu.Unlock()
				if code == http.StatusServiceUnavailable {
					time.Sleep(200 * time.Millisecond) // a client that backs off a little; the flood goes on
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	peak := 0
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
sample:
	for {
		select {
		case <-done:
			break sample
		case <-tick.C:
			peak = max(peak, rss("VmRSS"))
		}
	}
	end := rss("VmRSS")
	time.Sleep(after)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(float64(len(lat)-1)*p)].Round(time.Millisecond)
	}
	t.Logf("answers %v; sign-in latency p50 %s, p99 %s", codes, pct(0.5), pct(0.99))
	t.Logf("RSS MiB: idle %d, peak %d (VmHWM %d), end of flood %d, %s later %d", idle, peak, rss("VmHWM"), end, after, rss("VmRSS"))
}
