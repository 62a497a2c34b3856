package stackconfig_test

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// fakeSSM is Parameter Store in memory, as far as the rule uses it: GetParameter answers
// ParameterNotFound for an absent name, PutParameter without Overwrite answers
// ParameterAlreadyExists for a present one. It records every call.
type fakeSSM struct {
	mu     sync.Mutex
	values map[string]string
	calls  []string // "Get <name>", "Put <name>", "Put! <name>" (with Overwrite)
	// written lists the names a put changed, relative to path.
	written []string
	// fail, when set, is returned by every call on that name.
	fail map[string]error
}

func newFake(values map[string]string) *fakeSSM {
	f := &fakeSSM{values: map[string]string{}, fail: map[string]error{}}
	for k, v := range values {
		f.values[path+"/"+k] = v
	}
	return f
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	f.calls = append(f.calls, "Get "+name)
	if err := f.fail[name]; err != nil {
		return nil, err
	}
	v, ok := f.values[name]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not found")}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v), Type: ssmtypes.ParameterTypeString}}, nil
}

func (f *fakeSSM) PutParameter(_ context.Context, in *ssm.PutParameterInput, _ ...func(*ssm.Options)) (*ssm.PutParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	overwrite := aws.ToBool(in.Overwrite)
	if overwrite {
		f.calls = append(f.calls, "Put! "+name)
	} else {
		f.calls = append(f.calls, "Put "+name)
	}
	if err := f.fail[name]; err != nil {
		return nil, err
	}
	if _, exists := f.values[name]; exists && !overwrite {
		return nil, &ssmtypes.ParameterAlreadyExists{Message: aws.String("exists")}
	}
	f.values[name] = aws.ToString(in.Value)
	f.written = append(f.written, strings.TrimPrefix(name, path+"/"))
	return &ssm.PutParameterOutput{Version: 1}, nil
}

// value is what the fake holds for a name under path.
func (f *fakeSSM) value(name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.values[path+"/"+name]
	return v, ok
}

// writes lists the names whose value a put changed, relative to path, sorted.
func (f *fakeSSM) writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.written)
	slices.Sort(out)
	return out
}
