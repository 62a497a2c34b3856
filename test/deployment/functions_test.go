package deployment

// How the functions are built and run: provided.al2023 on arm64, the environment contract,
// asynchronous invocation settings.

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestFunctionBuild(t *testing.T) {
	tpl := loadTemplate(t)
	for _, tc := range []struct {
		fn      string
		timeout string
	}{
		{provisionID, "60"},
		{driftID, "900"},
	} {
		props := functionProperties(t, tpl, tc.fn)
		checks := []struct{ name, got, want string }{
			{"Runtime", str(props, "Runtime"), "provided.al2023"},
			{"Architectures", fmt.Sprint(mustStringList(t, props["Architectures"], "Architectures")), "[arm64]"},
			{"Handler", str(props, "Handler"), "bootstrap"},
			{"CodeUri", str(props, "CodeUri"), "."},
			{"Metadata.BuildMethod", str(resource(t, tpl, tc.fn), "Metadata", "BuildMethod"), "makefile"},
			{"MemorySize", str(props, "MemorySize"), "128"},
			{"Timeout", str(props, "Timeout"), tc.timeout},
		}
		for _, c := range checks {
			t.Run(tc.fn+"/"+c.name, func(t *testing.T) {
				if c.got != c.want {
					t.Errorf("got %q; want %q", c.got, c.want)
				}
			})
		}
	}
}

func TestFunctionEnvironment(t *testing.T) {
	tpl := loadTemplate(t)
	common := map[string]string{"CONFIG_PATH": "${ConfigPath}", "EVENT_BUS_NAME": "${EventBusName}", "ACCOUNT_ID": "${AWS::AccountId}", "PARTITION": "${AWS::Partition}"}
	drift := maps.Clone(common)
	maps.Copy(drift, map[string]string{"MAX_CONCURRENCY": "8", "ECR_MAX_RPS": "20", "SAGEMAKER_MAX_RPS": "5", "GOMEMLIMIT": "100MiB",
		"STATE_PARAMETER": "${ConfigPath}-state"})
	for fn, want := range map[string]map[string]string{provisionID: common, driftID: drift} {
		t.Run(fn, func(t *testing.T) {
			vars, _ := lookup(functionProperties(t, tpl, fn), "Environment", "Variables").(map[string]any)
			if g, w := sortedKeys(vars), sortedKeys(want); !slices.Equal(g, w) {
				t.Errorf("variable names: got %v; want %v", g, w)
			}
			for name, w := range want {
				if g := str(vars, name); g != w {
					t.Errorf("%s: got %q; want %q", name, g, w)
				}
			}
		})
	}
}

func TestEventInvokeConfig(t *testing.T) {
	tpl := loadTemplate(t)
	dlqArn := "${" + dlqID + ".Arn}"
	tests := []struct {
		fn, path, want string
	}{
		{provisionID, "MaximumRetryAttempts", "2"},
		{provisionID, "MaximumEventAgeInSeconds", "3600"},
		{provisionID, "DestinationConfig.OnFailure.Type", "SQS"},
		{provisionID, "DestinationConfig.OnFailure.Destination", dlqArn},
		{driftID, "MaximumRetryAttempts", "0"},
	}
	for _, tc := range tests {
		t.Run(tc.fn+"/"+tc.path, func(t *testing.T) {
			path := append([]string{"EventInvokeConfig"}, strings.Split(tc.path, ".")...)
			if got := str(functionProperties(t, tpl, tc.fn), path...); got != tc.want {
				t.Errorf("got %q; want %q", got, tc.want)
			}
		})
	}
}

// TestDriftConcurrency: a burst of hand edits (one repair invocation each) is bounded by
// DriftFunction's reserved concurrency, a stack parameter, so the reconciler's ECR rate is at
// most DriftConcurrency times ECR_MAX_RPS. ProvisionFunction is not bounded this way: it takes
// project events, which come at the pace people create projects.
func TestDriftConcurrency(t *testing.T) {
	tpl := loadTemplate(t)
	p, ok := lookup(tpl, "Parameters", "DriftConcurrency").(map[string]any)
	if !ok {
		t.Fatal("parameter DriftConcurrency: got none; want one")
	}
	for k, want := range map[string]string{"Type": "Number", "Default": "5", "MinValue": "2"} {
		if got := str(p, k); got != want {
			t.Errorf("DriftConcurrency %s: got %q; want %q", k, got, want)
		}
	}
	// The description says what the bound is for and what it gives.
	for _, words := range []string{"ECR_MAX_RPS", "queue"} {
		if !strings.Contains(str(p, "Description"), words) {
			t.Errorf("DriftConcurrency Description: got %q; want it to mention %s", str(p, "Description"), words)
		}
	}
	if got := str(functionProperties(t, tpl, driftID), "ReservedConcurrentExecutions"); got != "${DriftConcurrency}" {
		t.Errorf("%s ReservedConcurrentExecutions: got %q; want !Ref DriftConcurrency", driftID, got)
	}
	groups, _ := lookup(tpl, "Metadata", "AWS::CloudFormation::Interface", "ParameterGroups").([]any)
	var grouped bool
	for _, g := range groups {
		grouped = grouped || slices.Contains(mustStringList(t, lookup(g, "Parameters"), "ParameterGroups"), "DriftConcurrency")
	}
	if !grouped {
		t.Error("DriftConcurrency is in no parameter group; want it in one")
	}
	// The bound is on the reconciler: the rate it gives is DriftConcurrency x ECR_MAX_RPS.
	if str(functionProperties(t, tpl, driftID), "Environment", "Variables", "ECR_MAX_RPS") == "" {
		t.Errorf("%s ECR_MAX_RPS: got none; want the per-invocation rate cap the bound multiplies", driftID)
	}
}
