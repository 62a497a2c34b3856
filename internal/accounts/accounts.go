// Package accounts is the central registry's view of an AWS Organization: which accounts'
// SageMaker projects get repositories here (this account, and those in member-accounts), and
// how their SageMaker is read. A member account's SageMaker is read through the member role
// (member-role-name) that account holds for the product, assumed once an account an
// invocation; nothing is ever written there.
package accounts

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/projects"
)

// sessionDuration is how long the member credentials last.
const sessionDuration = 30 * time.Minute

// SageMaker is what the product reads of an account's SageMaker.
type SageMaker interface {
	sagemaker.ListProjectsAPIClient
	sagemaker.ListTagsAPIClient
	projects.DescribeAPI
}

// Directory reaches the SageMaker of this account and of member accounts.
type Directory struct {
	// Home is this account's id, and HomeSageMaker its SageMaker client.
	Home          string
	HomeSageMaker SageMaker
	// Partition is the partition role ARNs are built in ("aws" when empty).
	Partition string
	// STS assumes the member role; AWS is the configuration member clients start from (Region,
	// retryer, HTTP client), and NewSageMaker builds a member's client from it with the member
	// credentials (each its own client, so each account is paced on its own).
	STS          stscreds.AssumeRoleAPIClient
	AWS          aws.Config
	NewSageMaker func(aws.Config) SageMaker
	// SessionName names the product's sessions in the member accounts' CloudTrail.
	SessionName string
}

// Session is one invocation's view of the accounts, under one configuration: each member's role
// is assumed at most once, and the credentials and the client are reused for the rest of the
// invocation. It is safe for concurrent use.
type Session struct {
	dir     *Directory
	members []string
	role    string

	mu      sync.Mutex
	clients map[string]*member
}

type member struct {
	mu   sync.Mutex
	done bool
	api  SageMaker
	err  error
}

// Session starts an invocation's view under cfg.
func (d *Directory) Session(cfg config.Config) *Session {
	return &Session{dir: d, members: cfg.MemberAccounts, role: cfg.MemberRoleName, clients: map[string]*member{}}
}

// Accounts lists the accounts served: this one first, then the members in order.
func (s *Session) Accounts() []string {
	return append([]string{s.dir.Home}, s.members...)
}

// Member reports whether account is one of member-accounts (this account is not).
func (s *Session) Member(account string) bool {
	return account != s.dir.Home && slices.Contains(s.members, account)
}

// NotServedError is an event from an account that is neither this one nor a member.
type NotServedError struct {
	Account, Home string
}

func (e *NotServedError) Error() string {
	return fmt.Sprintf("account %s is not this account (%s) and not in member-accounts: its projects get no repositories here", e.Account, e.Home)
}

// Serve says whether projects of account get repositories here: nil for this account and the
// members, a *NotServedError for any other.
func (s *Session) Serve(account string) error {
	if account == s.dir.Home || s.Member(account) {
		return nil
	}
	return &NotServedError{Account: account, Home: s.dir.Home}
}

// ProjectAccount is how a Project records its account: empty for this account's projects
// (whose repositories carry no account tag), the id for a member's.
func (s *Session) ProjectAccount(account string) string {
	if account == s.dir.Home {
		return ""
	}
	return account
}

// UnreachableError is a member account whose role could not be assumed.
type UnreachableError struct {
	Account, Role string
	Err           error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("member account %s unreachable: assume %s: %v", e.Account, e.Role, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// SageMaker returns the client for account's SageMaker ("" is this account). A member's role is
// assumed on first use in the session; when that fails, every use in the session returns the
// same *UnreachableError, so the account costs one failed call and counts as one error. A try
// cut off by the end of ctx is not kept: it says nothing of the account.
func (s *Session) SageMaker(ctx context.Context, account string) (SageMaker, error) {
	if account == "" || account == s.dir.Home {
		return s.dir.HomeSageMaker, nil
	}
	if err := s.Serve(account); err != nil {
		return nil, err
	}
	s.mu.Lock()
	m := s.clients[account]
	if m == nil {
		m = &member{}
		s.clients[account] = m
	}
	s.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.done {
		api, err := s.assume(ctx, account)
		if err != nil && ctx.Err() != nil {
			return nil, err
		}
		m.api, m.err, m.done = api, err, true
	}
	return m.api, m.err
}

// RoleARN is the member role's ARN in account.
func (s *Session) RoleARN(account string) string {
	return arn.ARN{Partition: cmp.Or(s.dir.Partition, "aws"), Service: "iam", AccountID: account, Resource: "role/" + s.role}.String()
}

func (s *Session) assume(ctx context.Context, account string) (SageMaker, error) {
	role := s.RoleARN(account)
	provider := stscreds.NewAssumeRoleProvider(s.dir.STS, role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = cmp.Or(s.dir.SessionName, "sagemaker-ecr-provisioner")
		// Longer than an invocation (15 minutes at most), within the hour a chained role
		// session may last: one AssumeRole an account an invocation.
		o.Duration = sessionDuration
	})
	creds := aws.NewCredentialsCache(provider)
	// Assume now: an unreachable member is found here, once, not in the middle of a listing.
	if _, err := creds.Retrieve(ctx); err != nil {
		return nil, &UnreachableError{Account: account, Role: role, Err: err}
	}
	cfg := s.dir.AWS.Copy()
	cfg.Credentials = creds
	return s.dir.NewSageMaker(cfg), nil
}
