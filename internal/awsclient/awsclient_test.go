package awsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

type countingClient struct{ n int }

func (c *countingClient) Do(*http.Request) (*http.Response, error) {
	c.n++
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

func TestPaceRefusesWhenTheContextCannotWait(t *testing.T) {
	next := &countingClient{}
	p := Pace(next, 0.001) // one request now, the next in 1,000 s
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	if _, err := p.Do(req); err != nil {
		t.Fatalf("first request: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := p.Do(req.WithContext(ctx))
	if err == nil || !strings.Contains(err.Error(), "rate cap") {
		t.Errorf("second request: got %v; want the rate cap to refuse it", err)
	}
	if next.n != 1 {
		t.Errorf("requests sent: got %d; want 1", next.n)
	}
}

func TestRetryerRetriesThrottlingWithoutAQuota(t *testing.T) {
	r := NewRetryer()
	if got := r.MaxAttempts(); got != 8 {
		t.Errorf("max attempts: got %d; want 8", got)
	}
	throttled := &retryableAPIError{code: "ThrottlingException"}
	if !r.IsErrorRetryable(throttled) {
		t.Error("ThrottlingException is not retryable")
	}
	// The standard quota would run dry after 100 retries; without one, the 1,000th retry still
	// gets a token.
	for i := range 1000 {
		if _, err := r.GetRetryToken(context.Background(), throttled); err != nil {
			t.Fatalf("retry token %d: %v", i, err)
		}
	}
}

type retryableAPIError struct{ code string }

func (e *retryableAPIError) Error() string        { return e.code }
func (e *retryableAPIError) ErrorCode() string    { return e.code }
func (e *retryableAPIError) ErrorMessage() string { return e.code }
func (e *retryableAPIError) ErrorFault() int      { return 0 }

func TestLoadHonoursAWSMaxAttempts(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	for _, tc := range []struct {
		env  string
		want int
	}{{"", 8}, {"1", 1}, {"3", 3}} {
		t.Run("AWS_MAX_ATTEMPTS="+tc.env, func(t *testing.T) {
			t.Setenv("AWS_MAX_ATTEMPTS", tc.env)
			cfg, err := Load(context.Background(), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if got := ecr.NewFromConfig(cfg).Options().Retryer.MaxAttempts(); got != tc.want {
				t.Errorf("attempts: got %d; want %d", got, tc.want)
			}
		})
	}
}

func TestSDKLogLinesAreJSON(t *testing.T) {
	var buf bytes.Buffer
	Logger(slog.New(slog.NewJSONHandler(&buf, nil))).Logf(logging.Warn, "failed to discard %s\nforged", "body")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines %q; want one", len(lines), buf.String())
	}
	var line struct{ Level, Msg, Logger string }
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	if line.Level != "WARN" || line.Msg != "failed to discard body\nforged" || line.Logger != "aws-sdk" {
		t.Errorf("got %+v; want level WARN, the formatted message, logger aws-sdk", line)
	}
}

// Each error answered by a server that always answers it, and how many attempts the product's
// retryer makes (its eight at most, with the backoff cut to a millisecond).
func TestRetryerRetriesThrottlingButNotAQuota(t *testing.T) {
	for _, tc := range []struct {
		status   int
		code     string
		attempts int
	}{
		{http.StatusBadRequest, "ThrottlingException", 8},
		{http.StatusBadRequest, "ThrottleException", 8},
		{http.StatusTooManyRequests, "TooManyRequests", 8},
		{http.StatusInternalServerError, "ServerException", 8},
		{http.StatusBadRequest, "LimitExceededException", 1},
		{http.StatusBadRequest, "RepositoryNotFoundException", 1},
	} {
		t.Run(tc.code, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, `{"__type":%q,"message":"no"}`, tc.code)
			}))
			t.Cleanup(srv.Close)
			client := ecr.NewFromConfig(aws.Config{
				Region:       "us-east-1",
				Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
				BaseEndpoint: aws.String(srv.URL),
				Retryer:      func() aws.Retryer { return retry.AddWithMaxBackoffDelay(NewRetryer(), time.Millisecond) },
			})
			_, err := client.GetLifecyclePolicy(context.Background(), &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("r")})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code {
				t.Fatalf("error %v; want %s", err, tc.code)
			}
			if got := int(calls.Load()); got != tc.attempts {
				t.Errorf("%d attempts; want %d", got, tc.attempts)
			}
		})
	}
}
