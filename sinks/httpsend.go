package sinks

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names of the HTTP sinks.
const (
	HeaderSignature   = "X-Driftwatch-Signature" // sha256=<hex HMAC-SHA256 of the body>
	HeaderIdempotency = "Idempotency-Key"        // the run id (reports) or the trigger id
	HeaderEvent       = "X-Driftwatch-Event"     // report | trigger
)

// defaultHTTPTimeout bounds one HTTP attempt.
const defaultHTTPTimeout = 10 * time.Second

// httpTarget is one HTTP endpoint as errors may name it: the secret parts of its URL
// (user info, query, and for Slack the whole path) never appear in an error or a log.
type httpTarget struct {
	url     string // the real URL
	display string // what errors show
	client  *http.Client
	timeout time.Duration
}

func newHTTPTarget(raw, display string, timeout time.Duration) httpTarget {
	if timeout <= 0 {
		timeout = defaultHTTPTimeout
	}
	if display == "" {
		display = redactURL(raw)
	}
	return httpTarget{url: raw, display: display, timeout: timeout,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// redactURL keeps the scheme, host and path of a URL: user info and query may hold
// credentials.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(an invalid URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// checkURL validates a configured http(s) URL without echoing it (it may hold a secret).
func checkURL(key, raw string) error {
	if raw == "" {
		return fmt.Errorf("%s: required", key)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%s: want an http or https URL", key)
	}
	return nil
}

// envSecret reads the secret named by a `*_env` key (key names it in errors). Secrets
// are read when a sink sends, not when it is built, so that building a sink (validate,
// tests of examples) needs no secrets; `driftwatch validate` asks for them through
// CheckEnv. The value never appears in an error.
func envSecret(key, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return "", fmt.Errorf("%s: environment variable %s is not set", key, name)
	}
	rememberSecret(v)
	return v, nil
}

// secrets are the values envSecret has read (and their derived forms): receivers may
// echo them in an error body, which then becomes part of an error; scrubSecrets takes
// them out.
var secrets sync.Map

// rememberSecret adds v to the values scrubSecrets removes.
func rememberSecret(v string) {
	if len(v) >= 4 {
		secrets.Store(v, true)
	}
}

// scrubSecrets replaces every secret value in s by [redacted].
func scrubSecrets(s string) string {
	secrets.Range(func(k, _ any) bool {
		s = strings.ReplaceAll(s, k.(string), "[redacted]")
		return true
	})
	return s
}

// basicAuth returns a Basic Authorization header value (remembered as a secret).
func basicAuth(user, password string) string {
	v := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	rememberSecret(v)
	return "Basic " + v
}

// checkEnvName validates the name in a `*_env` key.
func checkEnvName(key, name string, required bool) error {
	if name == "" {
		if required {
			return fmt.Errorf("%s: required (the name of an environment variable)", key)
		}
		return nil
	}
	if !envName.MatchString(name) {
		return fmt.Errorf("%s: %q is not an environment variable name", key, name)
	}
	return nil
}

// An EnvChecker reports the environment variables its sink needs but lacks (the
// secrets named by *_env keys); `driftwatch validate` calls it.
type EnvChecker interface {
	CheckEnv() error
}

// checkEnv joins the errors of unset variables among key → name pairs.
func checkEnv(pairs ...string) error {
	var errs []error
	for i := 0; i+1 < len(pairs); i += 2 {
		if _, err := envSecret(pairs[i], pairs[i+1]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// post sends body with headers in one attempt and classifies the outcome: nil for 2xx
// (and for the statuses in ok), a retryable error for timeouts, network errors, 408,
// 429 and 5xx, and a Permanent one for any other status.
func (h httpTarget) post(ctx context.Context, body []byte, header http.Header, ok ...int) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("post to %s: build request", h.display))
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "driftwatch")
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", h.display, cleanErr(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 4096)) // scrubbed whole, then cut
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	for _, s := range ok {
		if resp.StatusCode == s {
			return nil
		}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("post to %s: %s%s", h.display, resp.Status, bodyNote(snippet))
	switch {
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
			return &retryAfterError{err: err, d: d}
		}
		return err
	}
	return Permanent(err)
}

// cleanErr drops the URL that net/http puts into its errors (*url.Error): it may carry
// a secret (a Slack webhook URL is one). Context errors stay matchable with errors.Is.
func cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timeout: %w", errors.Join(context.DeadlineExceeded, stripURL(ue.Err)))
		}
		return stripURL(ue.Err)
	}
	return err
}

func stripURL(err error) error {
	if err == nil {
		return errors.New("unknown error")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errors.New(err.Error())
}

func bodyNote(b []byte) string {
	s := strings.TrimSpace(scrubSecrets(string(b)))
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return ": " + strings.Join(strings.Fields(s), " ")
}

func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}
