package stsfake_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/testing/stsfake"
)

const (
	home   = "123456789012"
	member = "222233334444"
)

// The fake stands where accounts.Directory's STS client stands.
var _ stscreds.AssumeRoleAPIClient = (*stsfake.STS)(nil)

// assume gets credentials for the member role in account as the product does, through the
// SDK's assume-role provider.
func assume(s *stsfake.STS, account string) (aws.Credentials, error) {
	provider := stscreds.NewAssumeRoleProvider(s, "arn:aws:iam::"+account+":role/sagemaker-ecr-provisioner-member",
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "drift" })
	return provider.Retrieve(context.Background())
}

func TestCredentialsActInTheRolesAccount(t *testing.T) {
	s := stsfake.New(home)
	creds, err := assume(s, member)
	if err != nil || !creds.CanExpire {
		t.Fatalf("assume: %+v, %v", creds, err)
	}
	if got, _ := s.Account(creds.AccessKeyID); got != member {
		t.Errorf("the member's credentials act in %s; want %s", got, member)
	}
	if got, _ := s.Account("testing"); got != home {
		t.Errorf("credentials the fake did not hand out act in %s; want %s", got, home)
	}
	if calls := s.AssumeRoleCalls(); calls[member] != 1 {
		t.Errorf("calls %v; want one into %s", calls, member)
	}
}

func TestDenyRefusesOneAccountUntilReset(t *testing.T) {
	s := stsfake.New(home)
	s.Deny(member)
	_, err := assume(s, member)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
		t.Errorf("assume a denied role: %v; want AccessDenied", err)
	}
	if _, err := assume(s, "333344445555"); err != nil {
		t.Errorf("another account: %v; want it reachable", err)
	}
	s.Reset()
	if _, err := assume(s, member); err != nil {
		t.Errorf("after Reset: %v; want the role assumed", err)
	}
	if calls := s.AssumeRoleCalls(); calls[member] != 1 {
		t.Errorf("calls after Reset %v; want the one since", calls)
	}

	_, err = s.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("not-an-arn"), RoleSessionName: aws.String("drift")})
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationError" {
		t.Errorf("a role ARN that is none: %v; want ValidationError", err)
	}
}
