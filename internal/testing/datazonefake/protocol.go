package datazonefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
)

// The REST JSON protocol as aws-sdk-go-v2 speaks it to DataZone: each operation has its own
// method and path, its input in path labels and query parameters, and its output as a JSON
// body. A failure is a 4xx or 5xx whose code the SDK takes from the X-Amzn-ErrorType header
// (anything from a ':' on is dropped) and whose message it takes from the body's "message".
const contentType = "application/json"

// The operations the stand-in serves.
const (
	opGetProject    = "GetProject"
	opListProjects  = "ListProjects"
	opGetDomainUnit = "GetDomainUnit"
)

var operations = []string{opGetProject, opListProjects, opGetDomainUnit}

// statuses are the HTTP statuses of DataZone's error types, as its API model binds them.
var statuses = map[string]int{
	"AccessDeniedException":         http.StatusForbidden,
	"ConflictException":             http.StatusConflict,
	"InternalServerException":       http.StatusInternalServerError,
	"ResourceNotFoundException":     http.StatusNotFound,
	"ServiceQuotaExceededException": http.StatusPaymentRequired,
	"ThrottlingException":           http.StatusTooManyRequests,
	"UnauthorizedException":         http.StatusUnauthorized,
	"ValidationException":           http.StatusBadRequest,
}

// Identifier patterns of the DataZone API model.
var (
	domainIDPattern  = regexp.MustCompile(`^dzd[-_][a-zA-Z0-9_-]{1,36}$`)
	projectIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,36}$`)
	unitIDPattern    = regexp.MustCompile(`^[a-z0-9_\-]{1,256}$`)
)

// apiError is a DataZone error response.
type apiError struct {
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func validationError(format string, args ...any) *apiError {
	return &apiError{"ValidationException", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{"ResourceNotFoundException", fmt.Sprintf(format, args...)}
}

// patternError is DataZone's message for an identifier that does not match its pattern.
func patternError(field, value string, pattern *regexp.Regexp) *apiError {
	return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s",
		value, field, pattern)
}

// refusal is the error a refused operation answers (see Refuse).
func refusal(code, operation, domainID string) *apiError {
	message := fmt.Sprintf("%s of domain %s refused with %s", operation, domainID, code)
	switch code {
	case "AccessDeniedException":
		message = fmt.Sprintf("User is not authorized to perform: datazone:%s on resource: domain %s", operation, domainID)
	case "ThrottlingException":
		message = "Rate exceeded"
	case "InternalServerException":
		message = "An internal error occurred. Try again."
	}
	return &apiError{code, message}
}

// operation reads its input from the request's path labels and query, and returns the value
// to encode as the response body.
type operation func(s *Server, r *http.Request) (any, *apiError)

// handle serves one operation: it counts the call, answers a refusal (see Refuse) before
// anything else, and encodes the outcome.
func (s *Server) handle(name string, op operation) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		domainID := r.PathValue("domainIdentifier")
		s.mu.Lock()
		s.requests++
		w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("datazone-standin-%08d", s.requests))
		s.calls[name]++
		refused := s.refused[domainID][name]
		s.mu.Unlock()

		if refused != "" {
			writeError(w, refusal(refused, name, domainID))
			return
		}
		out, err := op(s, r)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// unknown answers a request for a path or method no served operation has.
func (s *Server) unknown(w http.ResponseWriter, r *http.Request) {
	what := r.Method + " " + r.URL.EscapedPath()
	s.mu.Lock()
	s.requests++
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("datazone-standin-%08d", s.requests))
	s.calls[what]++
	s.mu.Unlock()
	w.Header().Set("X-Amzn-ErrorType", "UnknownOperationException")
	writeJSON(w, http.StatusNotFound, map[string]string{
		"message": fmt.Sprintf("%s is not an operation the DataZone stand-in serves (GET .../projects/{identifier}, GET .../projects, GET .../domain-units/{identifier} under /v2/domains/{domainIdentifier})", what),
	})
}

func writeError(w http.ResponseWriter, e *apiError) {
	status, ok := statuses[e.code]
	if !ok {
		status = http.StatusBadRequest
	}
	w.Header().Set("X-Amzn-ErrorType", e.code)
	writeJSON(w, status, map[string]string{"message": e.message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only reachable by a programming error in this package.
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b)
}
