// Package awsclient builds the product's AWS SDK clients: the SDK's own configuration chain
// (AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>, AWS_MAX_ATTEMPTS...), a retryer tuned for a batch job
// that meets ThrottlingException, and a client-side rate cap per service.
//
// ECR publishes no rate quota for its control-plane calls, so the product paces itself: a token
// bucket in front of the HTTP client, shared by every goroutine, counts each attempt (retries
// included) against the cap.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"golang.org/x/time/rate"
)

// Load returns the SDK configuration from the default chain with the product's retryer, and
// the SDK's own warnings written through log. The retryer is set after loading, not through
// config.WithRetryer: given a retryer, the loader stops reading AWS_MAX_ATTEMPTS, and each
// client applies the loaded value on top of ours.
func Load(ctx context.Context, log *slog.Logger) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(Logger(log)))
	if err != nil {
		return cfg, err
	}
	cfg.Retryer = NewRetryer
	return cfg, nil
}

// Logger writes the SDK's log lines (such as "failed to discard remaining HTTP response body")
// through log, so they come out as JSON like every other line, with the level the SDK gave
// them, instead of as plain text on stderr.
func Logger(log *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		level := slog.LevelInfo
		switch c {
		case logging.Warn:
			level = slog.LevelWarn
		case logging.Debug:
			level = slog.LevelDebug
		}
		log.Log(context.Background(), level, fmt.Sprintf(format, v...), "logger", "aws-sdk")
	})
}

// NewRetryer is the SDK's standard retryer (it retries ThrottlingException, 5xx and dropped
// connections with exponential backoff and jitter) with changes for a job that makes
// thousands of calls: more attempts, no client-side retry quota, and the error codes in
// errorCodes. The standard quota (500 tokens, 5 a retry) runs dry after 100 retries and then
// fails calls outright, which turns a burst of throttling into errors; the rate cap already
// keeps the pressure bounded. AWS_MAX_ATTEMPTS, when set, still overrides the attempts.
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 8
		o.MaxBackoff = 10 * time.Second
		o.RateLimiter = ratelimit.None
		o.Retryables = slices.Concat([]retry.IsErrorRetryable{errorCodes}, retry.DefaultRetryables)
	})
}

// errorCodes decides, before the SDK's defaults, on two error codes:
//   - LimitExceededException is not retried. The SDK counts it as throttling, but ECR answers
//     it when an account quota (repositories per Region, say) would be exceeded, which no
//     backoff clears: eight attempts would only spend the run's time.
//   - ThrottleException is retried. It is the name ECR's troubleshooting guide gives its
//     throttling error, and the SDK knows only ThrottlingException (and HTTP 429 that is not a
//     modeled error).
var errorCodes = retryCodes{"LimitExceededException": false, "ThrottleException": true}

type retryCodes map[string]bool

func (c retryCodes) IsErrorRetryable(err error) aws.Ternary {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if retry, ok := c[apiErr.ErrorCode()]; ok {
			return aws.BoolTernary(retry)
		}
	}
	return aws.UnknownTernary
}

// HTTPClient is what the SDK sends requests through.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

// Paced sends at most perSecond requests a second through next, with bursts of up to a
// second's worth. A request waits for its turn, or fails when its context ends first.
type Paced struct {
	next    HTTPClient
	limiter *rate.Limiter
}

// Pace wraps next with a rate cap. A nil next means the SDK's default client.
func Pace(next HTTPClient, perSecond float64) *Paced {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	burst := max(1, int(perSecond))
	return &Paced{next: next, limiter: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

// Do waits for a token, then sends the request.
func (p *Paced) Do(req *http.Request) (*http.Response, error) {
	if err := p.limiter.Wait(req.Context()); err != nil {
		return nil, fmt.Errorf("rate cap: %w", err)
	}
	return p.next.Do(req)
}
