package sinks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that Retry (and the trigger outbox) do not retry it: a 4xx
// answer other than 408 and 429, a rejected config. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err (or an error it wraps) was marked by Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError asks Retry to wait at least d before the next attempt (HTTP 429/503
// with Retry-After).
type retryAfterError struct {
	err error
	d   time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryConfig is the `retry:` block of a sink that delivers over the network:
// exponential backoff with full jitter, bounded by MaxElapsed and by the context.
type RetryConfig struct {
	// Initial is the first backoff (default 500ms); each next one doubles, up to Max
	// (default 30s). The wait before attempt n+1 is uniform in [0, min(Max, Initial·2^n)).
	Initial time.Duration `yaml:"initial"`
	Max     time.Duration `yaml:"max"`
	// MaxElapsed bounds the whole delivery, attempts and waits (default 2m; the job's
	// timeout bounds it too). No attempt starts after it.
	MaxElapsed time.Duration `yaml:"max_elapsed"`
	// Attempts bounds the number of attempts (default 0: as many as MaxElapsed allows).
	Attempts int `yaml:"attempts"`
}

// Retry defaults.
const (
	defaultRetryInitial    = 500 * time.Millisecond
	defaultRetryMax        = 30 * time.Second
	defaultRetryMaxElapsed = 2 * time.Minute
)

func (c RetryConfig) withDefaults() RetryConfig {
	if c.Initial == 0 {
		c.Initial = defaultRetryInitial
	}
	if c.Max == 0 {
		c.Max = defaultRetryMax
	}
	if c.MaxElapsed == 0 {
		c.MaxElapsed = defaultRetryMaxElapsed
	}
	return c
}

// Validate checks the retry block.
func (c RetryConfig) Validate() error {
	var errs []error
	if c.Initial < 0 || c.Max < 0 || c.MaxElapsed < 0 {
		errs = append(errs, errors.New("retry: durations must not be negative"))
	}
	if c.Initial > 0 && c.Max > 0 && c.Max < c.Initial {
		errs = append(errs, errors.New("retry.max: must not be below retry.initial"))
	}
	if c.Attempts < 0 {
		errs = append(errs, errors.New("retry.attempts: must not be negative"))
	}
	return errors.Join(errs...)
}

// Retry calls op until it succeeds, returns a Permanent error, the attempts or
// MaxElapsed run out, or ctx ends, waiting an exponentially growing, jittered backoff
// between attempts (alertmanager's RetryStage). Each attempt gets a context that ends
// at the MaxElapsed deadline. It returns nil or the last error, annotated with the
// number of attempts; a context error is returned when ctx ended.
func Retry(ctx context.Context, c RetryConfig, op func(ctx context.Context) error) error {
	c = c.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, c.MaxElapsed)
	defer cancel()
	backoff := c.Initial
	var last error
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		last = err
		if IsPermanent(err) {
			return err
		}
		if c.Attempts > 0 && attempt >= c.Attempts {
			return fmt.Errorf("%w (gave up after %d attempts)", last, attempt)
		}
		wait := time.Duration(rand.Int64N(int64(backoff)) + 1)
		var ra *retryAfterError
		if errors.As(err, &ra) && ra.d > wait {
			wait = min(ra.d, c.Max)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%w (gave up after %d attempts: the next would start after the deadline: %w)", last, attempt, context.DeadlineExceeded)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up after %d attempts: %w)", last, attempt, context.Cause(ctx))
		case <-t.C:
		}
		backoff = min(2*backoff, c.Max)
	}
}
