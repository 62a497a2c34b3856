package stackconfig

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// API is what the rule asks of Parameter Store: one parameter read, one written.
type API interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// description is what a parameter the stack creates says about itself.
const description = "sagemaker-ecr-provisioner configuration, seeded by its CloudFormation stack; the value here is the one that counts"

// Kept is a value Parameter Store keeps against the stack's.
type Kept struct {
	// Name is the parameter's name under the configuration path.
	Name string
	// Held is the value Parameter Store holds, and keeps.
	Held string
	// Stack is the value the stack asked for; "" when the stack no longer sets the parameter
	// (Parameter Store cannot hold "", so the two never mix).
	Stack string
}

// Result says what Reconcile did.
type Result struct {
	// Written names the parameters written, in name order.
	Written []string
	// Kept lists the values left as they are although the stack asked for another, in name
	// order.
	Kept []Kept
}

// Reconcile applies the stack's values to the parameters under path by the ownership rule:
// Parameter Store owns each value once it is there; the stack seeds values and changes only
// what it still owns.
//
// previous is what the stack set before (nil for a new resource), desired what it sets now,
// both by name under path. For each name:
//   - set now and set to the same value before: never written, whatever Parameter Store holds
//     (a person may have changed it since; that is theirs);
//   - set now, and not before: created where the parameter does not exist (PutParameter
//     without Overwrite: ParameterAlreadyExists means it is there, and it stays);
//   - set now to another value than before: written where Parameter Store holds the previous
//     value (the stack's own) or nothing; any other value is a person's, and it stays;
//   - set before and not now: nothing is deleted. Where a value is still there, it stays.
//
// What stays although the stack asked for another value is in Result.Kept (an equal value is
// not). An error names the parameter; what was written before it is in the Result.
func Reconcile(ctx context.Context, api API, path string, previous, desired map[string]string) (Result, error) {
	var res Result
	names := slices.Sorted(maps.Keys(desired))
	for name := range previous {
		if _, set := desired[name]; !set {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		full := path + "/" + name
		want, set := desired[name]
		was, had := previous[name]
		switch {
		case set && had && want == was:
			continue // the stack did not change it: never written
		case set && !had:
			written, held, err := create(ctx, api, full, want)
			if err != nil {
				return res, err
			}
			res.note(name, want, written, held)
		case set:
			held, exists, err := get(ctx, api, full)
			switch {
			case err != nil:
				return res, err
			case !exists:
				written, held, err := create(ctx, api, full, want)
				if err != nil {
					return res, err
				}
				res.note(name, want, written, held)
			case held == want:
				// Already what the stack asks for.
			case held == was:
				if err := put(ctx, api, full, want, true); err != nil {
					return res, err
				}
				res.Written = append(res.Written, name)
			default:
				res.Kept = append(res.Kept, Kept{Name: name, Held: held, Stack: want})
			}
		default: // set before, not now: the stack lets go of it
			held, exists, err := get(ctx, api, full)
			if err != nil {
				return res, err
			}
			if exists {
				res.Kept = append(res.Kept, Kept{Name: name, Held: held})
			}
		}
	}
	return res, nil
}

// note records the outcome of create.
func (r *Result) note(name, want string, written bool, held string) {
	switch {
	case written:
		r.Written = append(r.Written, name)
	case held != want:
		r.Kept = append(r.Kept, Kept{Name: name, Held: held, Stack: want})
	}
}

// create writes value where the parameter does not exist. When it does, nothing is written and
// held is what it holds.
func create(ctx context.Context, api API, name, value string) (written bool, held string, err error) {
	err = put(ctx, api, name, value, false)
	var exists *ssmtypes.ParameterAlreadyExists
	if !errors.As(err, &exists) {
		return err == nil, "", err
	}
	held, found, err := get(ctx, api, name)
	if err == nil && !found {
		// Deleted between the two calls: the next stack update or a person decides.
		return false, value, nil
	}
	return false, held, err
}

func get(ctx context.Context, api API, name string) (value string, exists bool, err error) {
	out, err := api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var missing *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &missing):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read parameter %s: %w", name, err)
	case out.Parameter == nil:
		return "", false, nil
	}
	return aws.ToString(out.Parameter.Value), true, nil
}

func put(ctx context.Context, api API, name, value string, overwrite bool) error {
	in := &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString,
		Overwrite: aws.Bool(overwrite),
	}
	if !overwrite {
		in.Description = aws.String(description)
	}
	_, err := api.PutParameter(ctx, in)
	var exists *ssmtypes.ParameterAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("write parameter %s: %w", name, err)
	}
	return err
}
