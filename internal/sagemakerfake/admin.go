package sagemakerfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// The admin API lets the demo and end-to-end tests seed a stand-in that runs
// in another process. It is plain JSON over REST, separate from the SageMaker
// protocol, and its requests are not counted in Calls.

type putProjectRequest struct {
	ID   string            `json:"id"`
	Tags map[string]string `json:"tags"`
}

func (s *Server) routeAdmin(mux *http.ServeMux) {
	mux.HandleFunc("PUT /_standin/projects/{name}", s.adminPutProject)
	mux.HandleFunc("PUT /_standin/projects/{name}/tags", s.adminSetTags)
	mux.HandleFunc("DELETE /_standin/projects/{name}", s.adminDeleteProject)
	mux.HandleFunc("POST /_standin/reset", s.adminReset)
	mux.HandleFunc("GET /_standin/calls", s.adminCalls)
}

func (s *Server) adminPutProject(w http.ResponseWriter, r *http.Request) {
	var req putProjectRequest
	if err := decodeAdmin(r, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	arn := s.PutProject(r.PathValue("name"), req.ID, req.Tags)
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"arn": arn})
}

func (s *Server) adminSetTags(w http.ResponseWriter, r *http.Request) {
	var tags map[string]string
	if err := decodeAdmin(r, &tags); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.SetTags(s.projectARN(r.PathValue("name")), tags); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminDeleteProject(w http.ResponseWriter, r *http.Request) {
	s.DeleteProject(r.PathValue("name"))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminReset(w http.ResponseWriter, r *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) adminCalls(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", s.Calls())
}

// decodeAdmin reads an optional JSON body into v. Unknown fields are an
// error, so a misspelt key in a test fixture fails loudly.
func decodeAdmin(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return nil
}
