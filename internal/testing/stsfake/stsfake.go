// Package stsfake is an in-memory STS for the one call accounts.Directory makes, AssumeRole
// (stscreds.AssumeRoleAPIClient): it hands out credentials whose access key id says which
// account they act in (see Account), and refuses a chosen account's role with AccessDenied, as
// STS does when a member account has no such role or its trust policy does not name the caller.
// It is what internal/testing/stsgate is to moto_server, without a server.
//
// A SageMaker stand-in told to tell accounts apart by Account (sagemakerfake's SetAccounts)
// then answers each request with the projects of the account its credentials act in.
package stsfake

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/wire"
)

// keyPrefix starts every access key id the fake hands out; the role's account follows it.
const keyPrefix = "ASIASTSFAKE"

// STS is the fake. It is safe for concurrent use.
type STS struct {
	home string

	mu      sync.Mutex
	denied  map[string]bool
	calls   map[string]int // AssumeRole calls by the role's account
	observe func(wire.Request)
	now     func() time.Time
}

// New returns an STS in which every account's role can be assumed; credentials it did not hand
// out act in home.
func New(home string) *STS {
	return &STS{home: home, denied: map[string]bool{}, calls: map[string]int{}, now: time.Now}
}

// Observe has fn see every call from now on, before it is answered, as a wire.Recorder sees a
// request (service sts, operation AssumeRole). fn must not call the fake.
func (s *STS) Observe(fn func(wire.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.observe = fn
}

// Deny makes AssumeRole into account fail with AccessDenied from now on.
func (s *STS) Deny(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[account] = true
}

// Reset allows every account again and forgets the counts.
func (s *STS) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.denied)
	clear(s.calls)
}

// AssumeRoleCalls returns how many AssumeRole calls named a role in each account.
func (s *STS) AssumeRoleCalls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Account names the account credentials act in, by their access key id: the role's account
// for those the fake handed out, home for any other. It never fails; its signature is the one
// sagemakerfake's SetAccounts takes.
func (s *STS) Account(accessKeyID string) (string, error) {
	if account, ok := strings.CutPrefix(accessKeyID, keyPrefix); ok && account != "" {
		return account, nil
	}
	return s.home, nil
}

// AssumeRole returns credentials in the role's account, valid for DurationSeconds (an hour by
// default), or AccessDenied for an account Deny named. A role ARN that is not an IAM role's,
// a session name outside 2 to 64 characters or a duration outside 15 minutes to 12 hours is a
// ValidationError.
func (s *STS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	role := aws.ToString(in.RoleArn)
	parsed, err := arn.Parse(role)
	account := parsed.AccountID
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[account]++
	if s.observe != nil {
		s.observe(wire.Request{Service: "sts", Operation: "AssumeRole"})
	}
	session := aws.ToString(in.RoleSessionName)
	duration := time.Duration(aws.ToInt32(in.DurationSeconds)) * time.Second
	if in.DurationSeconds == nil {
		duration = time.Hour
	}
	switch {
	case err != nil || parsed.Service != "iam" || !strings.HasPrefix(parsed.Resource, "role/") || len(account) != 12:
		return nil, apiError("ValidationError", "%s is not a valid role ARN", role)
	case len(session) < 2 || len(session) > 64:
		return nil, apiError("ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64", session)
	case duration < 15*time.Minute || duration > 12*time.Hour:
		return nil, apiError("ValidationError", "The requested DurationSeconds %d is outside 900 to 43200", aws.ToInt32(in.DurationSeconds))
	case s.denied[account]:
		return nil, apiError("AccessDenied", "User: arn:aws:sts::%s:assumed-role/central/function is not authorized to perform: sts:AssumeRole on resource: %s", s.home, role)
	}
	name := strings.TrimPrefix(parsed.Resource, "role/")
	name = name[strings.LastIndex(name, "/")+1:]
	return &sts.AssumeRoleOutput{
		Credentials: &ststypes.Credentials{
			AccessKeyId:     aws.String(keyPrefix + account),
			SecretAccessKey: aws.String("stsfake-secret"),
			SessionToken:    aws.String("stsfake-session-" + session),
			Expiration:      aws.Time(s.now().Add(duration)),
		},
		AssumedRoleUser: &ststypes.AssumedRoleUser{
			Arn:           aws.String(fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", parsed.Partition, account, name, session)),
			AssumedRoleId: aws.String("AROASTSFAKE" + account + ":" + session),
		},
	}, nil
}

func apiError(code, format string, args ...any) error {
	return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}
