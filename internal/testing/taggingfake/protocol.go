package taggingfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// The two protocols the service speaks, as aws-sdk-go-v2 speaks them.
//
// AWS JSON 1.1: POST / with X-Amz-Target "ResourceGroupsTaggingAPI_20170126.<Operation>" and a
// JSON body (at least "{}"). A failure is a 4xx or 5xx whose code the SDK takes from the
// X-Amzn-ErrorType header first and the body's "__type" second; the typed error's Message
// is the body's "Message" member.
//
// Smithy RPC v2 CBOR: POST /service/ResourceGroupsTaggingAPI_20170126/operation/<Operation>
// with Smithy-Protocol "rpc-v2-cbor" and a CBOR body, possibly empty. A failure's code is the
// body's "__type" alone; the typed error's Message is its "Message" member, and the message
// of an error the SDK does not model is its "message".
const (
	service        = "ResourceGroupsTaggingAPI_20170126"
	jsonTarget     = service + "."
	jsonType       = "application/x-amz-json-1.1"
	cborPath       = "/service/" + service + "/operation/"
	cborType       = "application/cbor"
	smithyProtocol = "rpc-v2-cbor"
	maxBody        = 1 << 20
)

// apiError is an error response of the service.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func invalidParameter(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterException", fmt.Sprintf(format, args...)}
}

func internalError(format string, args ...any) *apiError {
	return &apiError{http.StatusInternalServerError, "InternalServiceException", fmt.Sprintf(format, args...)}
}

// codec is one protocol's encoding of request and response bodies.
type codec interface {
	// decode reads a request body into in; an empty body counts as an empty structure.
	decode(body []byte, in any) *apiError
	writeResult(w http.ResponseWriter, out any)
	writeError(w http.ResponseWriter, e *apiError)
}

// ServeHTTP answers Resource Groups Tagging API calls: POST / with an X-Amz-Target header
// (AWS JSON 1.1), or POST /service/ResourceGroupsTaggingAPI_20170126/operation/<Operation>
// with a Smithy-Protocol header (RPC v2 CBOR). Only GetResources is served; any other
// operation is answered with a 400 naming it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var (
		c  codec
		op string
		ok bool
	)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/":
		c = jsonCodec{}
		op, ok = strings.CutPrefix(r.Header.Get("X-Amz-Target"), jsonTarget)
		if !ok {
			op = r.Header.Get("X-Amz-Target")
		}
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, cborPath):
		c = cborCodec{}
		op = strings.TrimPrefix(r.URL.Path, cborPath)
		if got := r.Header.Get("Smithy-Protocol"); got != smithyProtocol {
			c.writeError(w, &apiError{http.StatusBadRequest, "SerializationException",
				fmt.Sprintf("Smithy-Protocol header %q, want %q", got, smithyProtocol)})
			return
		}
		ok = true
	default:
		http.Error(w, fmt.Sprintf("%s %s is not served by the Resource Groups Tagging API stand-in", r.Method, r.URL.Path), http.StatusNotFound)
		return
	}

	s.mu.Lock()
	s.requests++
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("tagging-standin-%08d", s.requests))
	if ok && op == "GetResources" {
		s.calls++
	}
	refused := s.refused
	s.mu.Unlock()

	if !ok || op != "GetResources" {
		c.writeError(w, &apiError{http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("operation %q is not served by the Resource Groups Tagging API stand-in", op)})
		return
	}
	if refused != "" {
		status := http.StatusBadRequest
		if refused == "InternalServiceException" {
			status = http.StatusInternalServerError
		}
		c.writeError(w, &apiError{status, refused, "request refused by the Resource Groups Tagging API stand-in"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		c.writeError(w, &apiError{http.StatusBadRequest, "SerializationException", "read request body: " + err.Error()})
		return
	}
	var in getResourcesInput
	if aerr := c.decode(body, &in); aerr != nil {
		c.writeError(w, aerr)
		return
	}
	out, aerr := s.getResources(r.Context(), &in)
	if aerr != nil {
		c.writeError(w, aerr)
		return
	}
	c.writeResult(w, out)
}

// jsonCodec is AWS JSON 1.1.
type jsonCodec struct{}

// decode ignores unknown fields, as the service does.
func (jsonCodec) decode(body []byte, in any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, in); err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "malformed request body: " + err.Error()}
	}
	return nil
}

func (jsonCodec) writeResult(w http.ResponseWriter, out any) {
	b, err := json.Marshal(out)
	if err != nil {
		// Only reachable by a programming error in this package.
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	write(w, http.StatusOK, jsonType, b)
}

func (jsonCodec) writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-ErrorType", e.code)
	b, _ := json.Marshal(map[string]string{"__type": e.code, "Message": e.message})
	write(w, e.status, jsonType, b)
}

// cborCodec is Smithy RPC v2 CBOR. It converts between CBOR and the JSON form of the same
// values, so that one set of wire shapes, with JSON field names, serves both protocols.
type cborCodec struct{}

// decode ignores unknown fields, as the service does.
func (cborCodec) decode(body []byte, in any) *apiError {
	if len(body) == 0 {
		return nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "malformed request body: " + err.Error()}
	}
	plain, err := fromCBOR(v)
	if err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "malformed request body: " + err.Error()}
	}
	b, err := json.Marshal(plain)
	if err == nil {
		err = json.Unmarshal(b, in)
	}
	if err != nil {
		return &apiError{http.StatusBadRequest, "SerializationException", "malformed request body: " + err.Error()}
	}
	return nil
}

func (c cborCodec) writeResult(w http.ResponseWriter, out any) {
	v, err := jsonToCBOR(out)
	if err != nil {
		// Only reachable by a programming error in this package.
		c.writeError(w, internalError("encode response: %v", err))
		return
	}
	w.Header().Set("Smithy-Protocol", smithyProtocol)
	write(w, http.StatusOK, cborType, cbor.Encode(v))
}

func (cborCodec) writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Smithy-Protocol", smithyProtocol)
	body := cbor.Map{
		"__type":  cbor.String(e.code),
		"Message": cbor.String(e.message),
		"message": cbor.String(e.message),
	}
	write(w, e.status, cborType, cbor.Encode(body))
}

func write(w http.ResponseWriter, status int, ctype string, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	w.Write(body)
}

// fromCBOR turns a decoded CBOR value into the value encoding/json would have decoded from
// the same data in JSON: maps, slices, strings, numbers, booleans and nil.
func fromCBOR(v cbor.Value) (any, error) {
	switch v := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(v))
		for k, e := range v {
			p, err := fromCBOR(e)
			if err != nil {
				return nil, err
			}
			m[k] = p
		}
		return m, nil
	case cbor.List:
		l := make([]any, len(v))
		for i, e := range v {
			p, err := fromCBOR(e)
			if err != nil {
				return nil, err
			}
			l[i] = p
		}
		return l, nil
	case cbor.String:
		return string(v), nil
	case cbor.Slice:
		return []byte(v), nil
	case cbor.Uint, cbor.NegInt:
		return cbor.AsInt64(v)
	case cbor.Float32, cbor.Float64:
		return cbor.AsFloat64(v)
	case cbor.Bool:
		return bool(v), nil
	case *cbor.Nil, *cbor.Undefined:
		return nil, nil
	case *cbor.Tag:
		return fromCBOR(v.Value)
	case cbor.Tag:
		return fromCBOR(v.Value)
	}
	return nil, fmt.Errorf("unexpected CBOR item %T", v)
}

// jsonToCBOR encodes out as JSON and turns the result into CBOR, integers as integers.
func jsonToCBOR(out any) (cbor.Value, error) {
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var plain any
	if err := d.Decode(&plain); err != nil {
		return nil, err
	}
	return toCBOR(plain)
}

func toCBOR(v any) (cbor.Value, error) {
	switch v := v.(type) {
	case map[string]any:
		m := make(cbor.Map, len(v))
		for k, e := range v {
			c, err := toCBOR(e)
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		return m, nil
	case []any:
		l := make(cbor.List, len(v))
		for i, e := range v {
			c, err := toCBOR(e)
			if err != nil {
				return nil, err
			}
			l[i] = c
		}
		return l, nil
	case string:
		return cbor.String(v), nil
	case json.Number:
		if n, err := v.Int64(); err == nil {
			if n < 0 {
				return cbor.NegInt(-n), nil
			}
			return cbor.Uint(n), nil
		}
		f, err := v.Float64()
		return cbor.Float64(f), err
	case bool:
		return cbor.Bool(v), nil
	case nil:
		return &cbor.Nil{}, nil
	}
	return nil, fmt.Errorf("unexpected JSON value %T", v)
}
