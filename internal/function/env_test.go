package function

import (
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name, concurrency, ecr, sm, partition string
		want                                  Env
		err                                   string
	}{
		{name: "defaults", want: Env{ConfigPath: "/sagemaker-platform/ecr", EventBus: "default", StateParameter: "/sagemaker-platform/ecr-state", Concurrency: 8, ECRPerSecond: 20, SageMakerPerSecond: 5, Partition: "aws"}},
		{name: "set", concurrency: "16", ecr: "50", sm: "2.5", partition: "aws-iso-b", want: Env{ConfigPath: "/sagemaker-platform/ecr", EventBus: "default", StateParameter: "/sagemaker-platform/ecr-state", Concurrency: 16, ECRPerSecond: 50, SageMakerPerSecond: 2.5, Partition: "aws-iso-b"}},
		{name: "not a partition", partition: "us-east-1", err: `PARTITION="us-east-1"`},
		{name: "zero concurrency", concurrency: "0", err: `MAX_CONCURRENCY="0"`},
		{name: "word", ecr: "fast", err: `ECR_MAX_RPS="fast"`},
		{name: "negative", sm: "-1", err: `SAGEMAKER_MAX_RPS="-1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MAX_CONCURRENCY", tc.concurrency)
			t.Setenv("ECR_MAX_RPS", tc.ecr)
			t.Setenv("SAGEMAKER_MAX_RPS", tc.sm)
			t.Setenv("CONFIG_PATH", "")
			t.Setenv("EVENT_BUS_NAME", "")
			t.Setenv("STATE_PARAMETER", "")
			t.Setenv("PARTITION", tc.partition)
			got, err := FromEnv()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error: got %v; want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestFromEnvNamesTheContractsVariables(t *testing.T) {
	t.Setenv("CONFIG_PATH", "/platform/ecr-staging")
	t.Setenv("EVENT_BUS_NAME", "platform-events")
	got, err := FromEnv()
	if err != nil || got.ConfigPath != "/platform/ecr-staging" || got.EventBus != "platform-events" || got.StateParameter != "/platform/ecr-staging-state" {
		t.Errorf("got %+v, %v; want CONFIG_PATH and EVENT_BUS_NAME as set", got, err)
	}
}
