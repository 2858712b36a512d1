package sinkstest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Mode is how a Receiver answers.
type Mode int

const (
	ModeOK   Mode = iota // 200 (or Status when set)
	ModeFail             // 500
	ModeDown             // closes the connection without an answer (a server that is down)
	ModeHang             // never answers; the request ends when the client gives up
	ModeSlow             // answers 200 after Delay
)

// Receiver is a local HTTP server that records what the HTTP sinks deliver: every
// accepted request by its Idempotency-Key (Accepted counts raw deliveries, Bodies keeps
// the last body of each key). A request counts as accepted only when the receiver
// answers it with a 2xx.
type Receiver struct {
	URL string

	mu       sync.Mutex
	mode     Mode
	script   []Mode // modes for the next requests, before mode
	delay    time.Duration
	status   int
	accepted map[string]int
	bodies   map[string]string
	headers  map[string]http.Header
	requests int
	// Check, when set, validates an accepted request (a signature); a failure answers
	// 400 and is recorded in Errors.
	Check  func(r *http.Request, body []byte) error
	errors []error
	srv    *httptest.Server
}

// NewReceiver starts a receiver on a loopback port, closed when t ends.
func NewReceiver(t testing.TB) *Receiver {
	rc := &Receiver{accepted: map[string]int{}, bodies: map[string]string{}, headers: map[string]http.Header{}, delay: 50 * time.Millisecond}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	rc.URL = rc.srv.URL
	t.Cleanup(func() {
		rc.srv.CloseClientConnections()
		rc.srv.Close()
	})
	return rc
}

// SetMode sets how the receiver answers from now on (after the scripted answers).
func (rc *Receiver) SetMode(m Mode) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.mode = m
}

// Script makes the next len(ms) requests get these modes, in order.
func (rc *Receiver) Script(ms ...Mode) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.script = append(rc.script, ms...)
}

// SetDelay sets ModeSlow's delay.
func (rc *Receiver) SetDelay(d time.Duration) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.delay = d
}

// SetStatus makes ModeOK answer status (e.g. 409).
func (rc *Receiver) SetStatus(status int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = status
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.requests++
	mode := rc.mode
	if len(rc.script) > 0 {
		mode, rc.script = rc.script[0], rc.script[1:]
	}
	delay, status := rc.delay, rc.status
	rc.mu.Unlock()
	if err != nil {
		return
	}
	switch mode {
	case ModeFail:
		http.Error(w, "injected failure", http.StatusInternalServerError)
		return
	case ModeDown:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	case ModeHang:
		<-r.Context().Done()
		return
	case ModeSlow:
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if rc.Check != nil {
		if err := rc.Check(r, body); err != nil {
			rc.mu.Lock()
			rc.errors = append(rc.errors, err)
			rc.mu.Unlock()
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	key := r.Header.Get("Idempotency-Key")
	rc.mu.Lock()
	rc.accepted[key]++
	rc.bodies[key] = string(body)
	rc.headers[key] = r.Header.Clone()
	rc.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	io.WriteString(w, `{"ok":true}`)
}

// Accepted returns the raw number of accepted deliveries per idempotency key.
func (rc *Receiver) Accepted() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string]int, len(rc.accepted))
	for k, v := range rc.accepted {
		out[k] = v
	}
	return out
}

// Snapshot returns the last accepted body of each idempotency key.
func (rc *Receiver) Snapshot() Snapshot {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := Snapshot{}
	for k, v := range rc.bodies {
		out[k] = v
	}
	return out
}

// Header returns the headers of the last accepted request with key.
func (rc *Receiver) Header(key string) http.Header {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.headers[key]
}

// Requests returns how many requests arrived, accepted or not.
func (rc *Receiver) Requests() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests
}

// Errors returns the failures of Check.
func (rc *Receiver) Errors() []error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]error(nil), rc.errors...)
}
