package faultproxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// writeError answers as an AWS JSON-protocol service answers an error. The SDK (smithy-go's
// awsjson protocol) takes the error code from X-Amzn-ErrorType first and from the body's
// __type second; both are set, so either reading gives the same code. The content type
// follows the request's (JSON 1.0 for SQS, 1.1 for ECR, SSM, EventBridge, SageMaker).
func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string, id int) {
	contentType := r.Header.Get("Content-Type")
	if !strings.HasPrefix(contentType, "application/x-amz-json-") {
		contentType = "application/x-amz-json-1.1"
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{code, message})
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-ErrorType", code)
	h.Set("X-Amzn-RequestId", fmt.Sprintf("faultproxy-%08d", id))
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// drop closes the client's connection without writing a byte, as a lost network path or a
// crashed front end would. When the connection cannot be taken over (HTTP/2), the handler
// panics with http.ErrAbortHandler, which makes the server reset the stream instead.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
