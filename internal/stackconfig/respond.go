package stackconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
)

// maxResponse is CloudFormation's limit on the size of a response body.
const maxResponse = 4096

// maxReason bounds the Reason, so that the whole body stays under maxResponse.
const maxReason = 1024

// attempts the response PUT gets: the presigned URL is S3's, which answers 500 or 503 now and
// then.
const attempts = 3

// respond sends resp to the presigned ResponseURL: an HTTP PUT of its JSON, with no
// Content-Type (the URL is signed without one). cfn.Response.Send does the same with
// http.DefaultClient, but takes no context and does not retry.
func (h *Handler) respond(ctx context.Context, responseURL string, resp *cfn.Response) error {
	body, err := encode(resp)
	if err != nil {
		return err
	}
	client := h.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	// The answer goes out even when the calls' context has ended, up to the invocation's own
	// deadline.
	deadline, bounded := ctx.Deadline()
	ctx = context.WithoutCancel(ctx)
	if bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	var errs []error
	for attempt := range attempts {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			case <-ctx.Done():
				return errors.Join(append(errs, ctx.Err())...)
			}
		}
		retry, err := put1(ctx, client, responseURL, body)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
		if !retry {
			break
		}
	}
	return errors.Join(errs...)
}

// put1 makes one attempt; retry says whether another may succeed.
func put1(ctx context.Context, client *http.Client, responseURL string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, responseURL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	res, err := client.Do(req)
	if err != nil {
		return ctx.Err() == nil, fmt.Errorf("PUT response: %w", err)
	}
	defer res.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	if res.StatusCode/100 != 2 {
		return res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests,
			fmt.Errorf("PUT response: HTTP %d: %s", res.StatusCode, bytes.TrimSpace(text))
	}
	return false, nil
}

// encode is the response's JSON, under CloudFormation's 4,096 bytes: a long Reason is cut, and
// if the lists in Data still do not fit, Written gives way to a count, then Kept to a pointer to
// the log (Kept must stay: the template reads it).
func encode(resp *cfn.Response) ([]byte, error) {
	if len(resp.Reason) > maxReason {
		resp.Reason = resp.Reason[:maxReason-3] + "..."
	}
	body, err := json.Marshal(resp)
	if err != nil || len(body) <= maxResponse {
		return body, err
	}
	if resp.Data != nil {
		resp.Data[DataWritten] = "more than fit in a response: see the function's log"
		if body, err = json.Marshal(resp); err != nil || len(body) <= maxResponse {
			return body, err
		}
		resp.Data[DataKept] = "more than fit in a response: see the function's log"
	}
	return json.Marshal(resp)
}
