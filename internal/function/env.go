package function

import (
	"cmp"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/sagemaker-platform/sagemaker-ecr-provisioner/internal/config"
)

// Env is everything either function reads from its environment; the AWS SDK reads its own
// variables (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, AWS_MAX_ATTEMPTS).
type Env struct {
	// ConfigPath is CONFIG_PATH, config.DefaultPath when unset.
	ConfigPath string
	// EventBus is EVENT_BUS_NAME, "default" when unset.
	EventBus string
	// StateParameter is STATE_PARAMETER: the SSM parameter the reconciler keeps its sweep's
	// state in; StateParameter(ConfigPath) when unset.
	StateParameter string
	// Concurrency is how many repositories the reconciler handles at once (MAX_CONCURRENCY,
	// default 8).
	Concurrency int
	// ECRPerSecond and SageMakerPerSecond cap the reconciler's request rate to each service
	// (ECR_MAX_RPS, default 20; SAGEMAKER_MAX_RPS, default 5, for each account's SageMaker).
	ECRPerSecond       float64
	SageMakerPerSecond float64
	// Account is ACCOUNT_ID, this account's id (the template sets it); empty when unset.
	Account string
	// Partition is PARTITION, the partition the functions run in (the template sets it from
	// AWS::Partition: aws, aws-cn, aws-us-gov, aws-iso, ...), "aws" when unset. ARNs the
	// functions build (a project's, the member role's) are in it. It is not guessed from the
	// Region, which misses the ISO and sovereign partitions.
	Partition string
}

// StateParameter is where the reconciler keeps its state by default: beside the configuration
// path, not under it (a write under it would start a configuration-change run, and the
// configuration would read it as an unknown parameter).
func StateParameter(configPath string) string {
	return strings.TrimRight(configPath, "/") + "-state"
}

// FromEnv reads the Env with its defaults, failing with the variable's name on a value that is
// not usable.
func FromEnv() (Env, error) {
	e := Env{
		ConfigPath: cmp.Or(os.Getenv("CONFIG_PATH"), config.DefaultPath),
		EventBus:   cmp.Or(os.Getenv("EVENT_BUS_NAME"), "default"),
	}
	e.StateParameter = cmp.Or(os.Getenv("STATE_PARAMETER"), StateParameter(e.ConfigPath))
	if e.Account = os.Getenv("ACCOUNT_ID"); e.Account != "" && !accountID.MatchString(e.Account) {
		return e, fmt.Errorf("environment variable ACCOUNT_ID=%q: want a 12-digit AWS account id", e.Account)
	}
	if e.Partition = cmp.Or(os.Getenv("PARTITION"), "aws"); !partition.MatchString(e.Partition) {
		return e, fmt.Errorf("environment variable PARTITION=%q: want an AWS partition (aws, aws-cn, aws-us-gov, ...)", e.Partition)
	}
	var err error
	if e.Concurrency, err = positiveInt("MAX_CONCURRENCY", 8); err != nil {
		return e, err
	}
	if e.ECRPerSecond, err = positiveFloat("ECR_MAX_RPS", 20); err != nil {
		return e, err
	}
	if e.SageMakerPerSecond, err = positiveFloat("SAGEMAKER_MAX_RPS", 5); err != nil {
		return e, err
	}
	return e, nil
}

var (
	accountID = regexp.MustCompile(`^[0-9]{12}$`)
	partition = regexp.MustCompile(`^aws(-[a-z]+)*$`)
)

func positiveInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, fmt.Errorf("environment variable %s=%q: want an integer from 1 to 1000", name, v)
	}
	return n, nil
}

func positiveFloat(name string, def float64) (float64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 10000 {
		return 0, fmt.Errorf("environment variable %s=%q: want a number above 0, at most 10000", name, v)
	}
	return f, nil
}
