// Package ssmfake is a small in-memory Parameter Store behind the SDK's own method signatures,
// so *ssmfake.Store stands where *ssm.Client stands for the product's configuration and the
// sweep's state: GetParameter, GetParametersByPath, PutParameter, DeleteParameter and
// DeleteParameters. It keeps Parameter Store's rules that the product relies on, and answers
// with the SDK's typed errors as Parameter Store does:
//   - GetParametersByPath returns at most 10 parameters a page, one level below the path unless
//     Recursive is set, and (with SetEmptyPages) empty pages while NextToken is still set;
//   - PutParameter refuses to replace a parameter without Overwrite (ParameterAlreadyExists),
//     numbers each write of a parameter from 1, and refuses a value over the tier's size;
//   - a missing parameter is ParameterNotFound.
//
// It counts every call by operation and, when observed (see Observe), reports each call as the
// wire recorder would have seen it. A test arranges and reads it with Set, Value and Remove,
// which are not calls. What Parameter Store's wire protocol does is tested against moto.
package ssmfake

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// Account and Region are those of every ARN the fake makes.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Parameter Store's limits.
const (
	// MaxPage is the most parameters a GetParametersByPath page holds.
	MaxPage = 10
	// MaxStandardValue and MaxAdvancedValue are the largest values of each tier, in bytes.
	MaxStandardValue = 4096
	MaxAdvancedValue = 8192
	// maxLevels is the deepest hierarchy a name may have.
	maxLevels = 15
	// maxDelete is the most names one DeleteParameters call takes.
	maxDelete = 10
)

// Store is the fake Parameter Store. The zero value is not usable; call New. It is safe for
// concurrent use.
type Store struct {
	mu       sync.Mutex
	params   map[string]*parameter
	calls    map[string]int
	pageSize int
	empty    bool
	observe  func(wire.Request)
	now      func() time.Time
}

type parameter struct {
	name, value, description string
	typ                      ssmtypes.ParameterType
	tier                     ssmtypes.ParameterTier
	version                  int64
	modified                 time.Time
}

// New returns an empty store whose pages hold at most MaxPage parameters.
func New() *Store {
	return &Store{params: map[string]*parameter{}, calls: map[string]int{}, pageSize: MaxPage, now: time.Now}
}

// Observe has fn see every call from now on, before it is answered, as a wire.Recorder sees a
// request (service ssm and the operation). fn must not call the store.
func (s *Store) Observe(fn func(wire.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observe = fn
}

// SetPageSize makes GetParametersByPath pages hold at most n parameters (1 to MaxPage), short of
// what the caller asked for, as Parameter Store's pages may be.
func (s *Store) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = min(max(n, 1), MaxPage)
}

// SetEmptyPages makes GetParametersByPath answer an empty page, with NextToken set, before
// every page that holds parameters, as Parameter Store may: a caller that stops at a short or
// empty page misses the rest.
func (s *Store) SetEmptyPages(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.empty = on
}

// Set writes a String parameter, as a person or a deployment would; it is not a call. A
// parameter that exists is overwritten and its version goes up.
func (s *Store) Set(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.write(name, value, ssmtypes.ParameterTypeString, ssmtypes.ParameterTierStandard, "")
}

// Value returns a parameter's value; ok is false when there is none. It is not a call.
func (s *Store) Value(name string) (value string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.params[name]
	if p == nil {
		return "", false
	}
	return p.value, true
}

// Remove deletes a parameter, as a person would; it is not a call. ok is false when there was
// none.
func (s *Store) Remove(name string) (ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok = s.params[name]
	delete(s.params, name)
	return ok
}

// Names lists every parameter, sorted.
func (s *Store) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.params))
}

// Calls returns how many times each operation was called.
func (s *Store) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// begin takes s.mu and counts and observes the call. The caller unlocks s.mu.
func (s *Store) begin(op string) {
	s.mu.Lock()
	s.calls[op]++
	if s.observe != nil {
		s.observe(wire.Request{Service: "ssm", Operation: op})
	}
}

// write creates or overwrites a parameter. The caller holds s.mu.
func (s *Store) write(name, value string, typ ssmtypes.ParameterType, tier ssmtypes.ParameterTier, description string) int64 {
	p := s.params[name]
	if p == nil {
		p = &parameter{name: name}
		s.params[name] = p
	}
	p.value, p.typ, p.tier, p.version, p.modified = value, typ, tier, p.version+1, s.now()
	if description != "" {
		p.description = description
	}
	return p.version
}

func (p *parameter) output() *ssmtypes.Parameter {
	return &ssmtypes.Parameter{
		Name: aws.String(p.name), Value: aws.String(p.value), Type: p.typ, Version: p.version,
		ARN: aws.String(arn(p.name)), LastModifiedDate: aws.Time(p.modified), DataType: aws.String("text"),
	}
}

func arn(name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", Region, Account, strings.TrimPrefix(name, "/"))
}

func notFound(name string) error {
	return &ssmtypes.ParameterNotFound{Message: aws.String(fmt.Sprintf("Parameter %s not found.", name))}
}

func validation(format string, args ...any) error {
	return &ssmtypes.ValidationException{Message: aws.String(fmt.Sprintf(format, args...))}
}

// validName is the characters a parameter name may hold.
var validName = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

// checkName applies Parameter Store's naming rules: the allowed characters, a hierarchical
// name fully qualified (a leading slash), no reserved prefix, at most 15 levels.
func checkName(name string) error {
	switch lower := strings.ToLower(strings.TrimPrefix(name, "/")); {
	case name == "" || len(name) > 1011 || !validName.MatchString(name):
		return &ssmtypes.ParameterPatternMismatchException{Message: aws.String(fmt.Sprintf(
			"Parameter name: can't be empty and can only contain letters, numbers, and the symbols . _ - /: %q", name))}
	case strings.Contains(name, "/") && !strings.HasPrefix(name, "/"):
		return validation("Parameter name must be a fully qualified name: %q", name)
	case strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm"):
		return validation(`Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive): %q`, name)
	case strings.Count(name, "/") > maxLevels:
		return &ssmtypes.HierarchyLevelLimitExceededException{Message: aws.String(fmt.Sprintf(
			"Parameter name %q exceeds the hierarchy limit of %d levels", name, maxLevels))}
	}
	return nil
}

// GetParameter returns one parameter, or ParameterNotFound.
func (s *Store) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	s.begin("GetParameter")
	defer s.mu.Unlock()
	name := aws.ToString(in.Name)
	p := s.params[name]
	if p == nil {
		return nil, notFound(name)
	}
	return &ssm.GetParameterOutput{Parameter: p.output()}, nil
}

// pageToken is the fake's NextToken: the name the next page starts after, and whether the page
// before it was the empty one SetEmptyPages inserts.
const (
	tokenPrefix      = "ssmfake/after:"
	emptyTokenPrefix = "ssmfake/empty-after:"
)

// GetParametersByPath pages through the parameters under Path in name order: those one level
// below it, or with Recursive every one under it. A page holds at most MaxResults (1 to 10,
// default 10) and at most the page size (see SetPageSize). NextToken is set while there are
// more, and with SetEmptyPages an empty page comes before each page that holds parameters.
func (s *Store) GetParametersByPath(_ context.Context, in *ssm.GetParametersByPathInput, _ ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	s.begin("GetParametersByPath")
	defer s.mu.Unlock()
	path := aws.ToString(in.Path)
	if !strings.HasPrefix(path, "/") {
		return nil, validation("The parameter path must begin with a forward slash (/): %q", path)
	}
	limit := s.pageSize
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > MaxPage {
			return nil, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *in.MaxResults, MaxPage)
		}
		limit = min(limit, int(*in.MaxResults))
	}
	after, afterEmpty := "", false
	if token := aws.ToString(in.NextToken); token != "" {
		var ok bool
		if after, afterEmpty = strings.CutPrefix(token, emptyTokenPrefix); !afterEmpty {
			if after, ok = strings.CutPrefix(token, tokenPrefix); !ok {
				return nil, &ssmtypes.InvalidNextToken{Message: aws.String("The specified token isn't valid.")}
			}
		}
	}
	prefix := strings.TrimSuffix(path, "/") + "/"
	var names []string
	for name := range s.params {
		rest, under := strings.CutPrefix(name, prefix)
		if under && name > after && (aws.ToBool(in.Recursive) || !strings.Contains(rest, "/")) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := &ssm.GetParametersByPathOutput{}
	if len(names) > 0 && s.empty && !afterEmpty {
		out.NextToken = aws.String(emptyTokenPrefix + after)
		return out, nil
	}
	for _, name := range names[:min(limit, len(names))] {
		out.Parameters = append(out.Parameters, *s.params[name].output())
	}
	if len(names) > limit {
		out.NextToken = aws.String(tokenPrefix + names[limit-1])
	}
	return out, nil
}

// PutParameter creates a parameter (version 1), or overwrites it (the version goes up) when
// Overwrite is set; without Overwrite an existing one is ParameterAlreadyExists. The type is
// String unless given; the value must fit the tier (Standard unless Advanced is asked for).
func (s *Store) PutParameter(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	s.begin("PutParameter")
	defer s.mu.Unlock()
	name, value := aws.ToString(in.Name), aws.ToString(in.Value)
	if err := checkName(name); err != nil {
		return nil, err
	}
	tier, limit := ssmtypes.ParameterTierStandard, MaxStandardValue
	if in.Tier == ssmtypes.ParameterTierAdvanced {
		tier, limit = ssmtypes.ParameterTierAdvanced, MaxAdvancedValue
	}
	switch {
	case value == "":
		return nil, validation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(value) > limit:
		return nil, validation("%s tier parameters support a maximum parameter value of %d characters; %s has %d", tier, limit, name, len(value))
	}
	if s.params[name] != nil && !aws.ToBool(in.Overwrite) {
		return nil, &ssmtypes.ParameterAlreadyExists{Message: aws.String("The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")}
	}
	typ := in.Type
	if typ == "" {
		typ = ssmtypes.ParameterTypeString
		if p := s.params[name]; p != nil {
			typ = p.typ
		}
	}
	version := s.write(name, value, typ, tier, aws.ToString(in.Description))
	return &ssm.PutParameterOutput{Version: version, Tier: tier}, nil
}

// DeleteParameter deletes one parameter, or answers ParameterNotFound.
func (s *Store) DeleteParameter(_ context.Context, in *ssm.DeleteParameterInput, _ ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error) {
	s.begin("DeleteParameter")
	defer s.mu.Unlock()
	name := aws.ToString(in.Name)
	if s.params[name] == nil {
		return nil, notFound(name)
	}
	delete(s.params, name)
	return &ssm.DeleteParameterOutput{}, nil
}

// DeleteParameters deletes up to 10 parameters; those that do not exist are named in
// InvalidParameters, not an error.
func (s *Store) DeleteParameters(_ context.Context, in *ssm.DeleteParametersInput, _ ...func(*ssm.Options)) (*ssm.DeleteParametersOutput, error) {
	s.begin("DeleteParameters")
	defer s.mu.Unlock()
	if len(in.Names) == 0 || len(in.Names) > maxDelete {
		return nil, validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and %d", maxDelete)
	}
	out := &ssm.DeleteParametersOutput{}
	for _, name := range in.Names {
		if s.params[name] == nil {
			out.InvalidParameters = append(out.InvalidParameters, name)
			continue
		}
		delete(s.params, name)
		out.DeletedParameters = append(out.DeletedParameters, name)
	}
	return out, nil
}
