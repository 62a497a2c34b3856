package sagemakerfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The AWS JSON 1.1 protocol as aws-sdk-go-v2 speaks it: every call is
// POST / with X-Amz-Target "SageMaker.<Operation>" and a JSON body
// (at least "{}"). A failure is a 4xx or 5xx whose code the SDK takes from the
// X-Amzn-ErrorType header first and the body's "__type" second, and whose
// message it takes from the body's "message" (matched without case).
const (
	targetPrefix = "SageMaker."
	contentType  = "application/x-amz-json-1.1"
	maxBody      = 1 << 20
)

// apiError is a SageMaker error response.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func validationError(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

// operation decodes its own input from the raw body and returns the value to
// encode as the response body.
type operation func(s *Server, body []byte) (any, *apiError)

var operations = map[string]operation{
	"DescribeProject": (*Server).describeProject,
	"ListProjects":    (*Server).listProjects,
	"ListTags":        (*Server).listTags,

	"ListEndpoints":              (*Server).listEndpoints,
	"DescribeEndpoint":           (*Server).describeEndpoint,
	"DescribeEndpointConfig":     (*Server).describeEndpointConfig,
	"DescribeModel":              (*Server).describeModel,
	"ListInferenceComponents":    (*Server).listInferenceComponents,
	"DescribeInferenceComponent": (*Server).describeInferenceComponent,
	"ListModelPackageGroups":     (*Server).listModelPackageGroups,
	"ListModelPackages":          (*Server).listModelPackages,
	"DescribeModelPackage":       (*Server).describeModelPackage,
	"ListTrainingJobs":           (*Server).listTrainingJobs,
	"DescribeTrainingJob":        (*Server).describeTrainingJob,
	"ListProcessingJobs":         (*Server).listProcessingJobs,
	"DescribeProcessingJob":      (*Server).describeProcessingJob,
	"ListImages":                 (*Server).listImages,
	"ListImageVersions":          (*Server).listImageVersions,
	"DescribeImageVersion":       (*Server).describeImageVersion,
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("sagemaker-standin-%08d", s.requests))
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	if ok && op != "" {
		s.calls[op]++
	}
	refused := s.refused[op]
	s.mu.Unlock()

	handle := operations[op]
	if !ok || handle == nil {
		writeError(w, &apiError{http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("operation %q is not served by the SageMaker stand-in", r.Header.Get("X-Amz-Target"))})
		return
	}
	if refused {
		writeError(w, &apiError{http.StatusBadRequest, "AccessDeniedException",
			fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/caller is not authorized to perform: sagemaker:%s with an explicit deny in a service control policy", s.account, op)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, &apiError{http.StatusBadRequest, "SerializationException", "read request body: " + err.Error()})
		return
	}
	out, aerr := handle(s, body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, contentType, out)
}

// decodeInput reads a request body into in; an empty body counts as "{}".
// Unknown fields are ignored, as SageMaker does.
func decodeInput(body []byte, in any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, in); err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "malformed request body: " + err.Error()}
	}
	return nil
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-ErrorType", e.code)
	writeJSON(w, e.status, contentType, map[string]string{"__type": e.code, "message": e.message})
}

func writeJSON(w http.ResponseWriter, status int, ctype string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only reachable by a programming error in this package.
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	w.Write(b)
}
