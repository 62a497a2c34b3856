package deployment

// What an operator relies on: the dead-letter queue, log groups, alarms and outputs.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestDeadLetterQueue(t *testing.T) {
	tpl := loadTemplate(t)
	q := resource(t, tpl, dlqID)
	checks := []struct{ name, got, want string }{
		{"Type", str(q, "Type"), "AWS::SQS::Queue"},
		{"SqsManagedSseEnabled", str(q, "Properties", "SqsManagedSseEnabled"), "true"},
		{"MessageRetentionPeriod", str(q, "Properties", "MessageRetentionPeriod"), "1209600"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q; want %q", c.got, c.want)
			}
		})
	}

	// The queue policy lets EventBridge send from exactly the rules that use the queue.
	var wantSources []string
	for _, r := range eventBridgeRules(t, tpl) {
		if str(r.Event, "Properties", "DeadLetterConfig", "Arn") == "${"+dlqID+".Arn}" {
			wantSources = append(wantSources, "${"+r.LogicalID+".Arn}")
		}
	}
	slices.Sort(wantSources)
	t.Run("QueuePolicy", func(t *testing.T) {
		var stmts []any
		for _, id := range resourceIDs(tpl, "AWS::SQS::QueuePolicy") {
			p := lookup(resource(t, tpl, id), "Properties")
			if slices.Contains(mustStringList(t, lookup(p, "Queues"), id+".Queues"), "${"+dlqID+"}") {
				l, _ := lookup(p, "PolicyDocument", "Statement").([]any)
				stmts = append(stmts, l...)
			}
		}
		if len(stmts) != 1 {
			t.Fatalf("statements on %s: got %d; want 1", dlqID, len(stmts))
		}
		s := stmts[0]
		checks := []struct{ name, got, want string }{
			{"Effect", str(s, "Effect"), "Allow"},
			{"Principal.Service", str(s, "Principal", "Service"), "events.amazonaws.com"},
			{"Action", fmt.Sprint(mustStringList(t, lookup(s, "Action"), "Action")), "[sqs:SendMessage]"},
			{"Resource", str(s, "Resource"), "${" + dlqID + ".Arn}"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %q; want %q", c.name, c.got, c.want)
			}
		}
		got := mustStringList(t, lookup(s, "Condition", "ArnEquals", "aws:SourceArn"), "aws:SourceArn")
		slices.Sort(got)
		if len(got) == 0 || !slices.Equal(got, wantSources) {
			t.Errorf("aws:SourceArn: got %v; want %v", got, wantSources)
		}
	})
}

func TestLogGroups(t *testing.T) {
	tpl := loadTemplate(t)
	for _, fn := range []string{provisionID, driftID} {
		t.Run(fn, func(t *testing.T) {
			props := functionProperties(t, tpl, fn)
			ref := str(props, "LoggingConfig", "LogGroup")
			id, ok := strings.CutPrefix(ref, "${")
			id = strings.TrimSuffix(id, "}")
			if !ok || strings.Contains(id, ".") {
				t.Fatalf("LoggingConfig.LogGroup: got %q; want !Ref of a log group", ref)
			}
			lg := resource(t, tpl, id)
			fnName := str(props, "FunctionName")
			if fnName == "" {
				fnName = "${" + fn + "}"
			}
			checks := []struct{ name, got, want string }{
				{"Type", str(lg, "Type"), "AWS::Logs::LogGroup"},
				{"LogGroupName", str(lg, "Properties", "LogGroupName"), "/aws/lambda/" + fnName},
				{"RetentionInDays", str(lg, "Properties", "RetentionInDays"), "${LogRetentionDays}"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s %s: got %q; want %q", id, c.name, c.got, c.want)
				}
			}
		})
	}
}

func TestAlarms(t *testing.T) {
	tpl := loadTemplate(t)
	if !notEmptyCondition(tpl, "HasAlarmTopic", "AlarmTopicArn") {
		t.Fatalf("Conditions.HasAlarmTopic: got %#v; want !Not [!Equals [!Ref AlarmTopicArn, \"\"]]", lookup(tpl, "Conditions", "HasAlarmTopic"))
	}
	byMetric := map[string]map[string]any{}
	for _, id := range resourceIDs(tpl, "AWS::CloudWatch::Alarm") {
		p, _ := lookup(resource(t, tpl, id), "Properties").(map[string]any)
		dims, _ := p["Dimensions"].([]any)
		var dv []string
		for _, d := range dims {
			dv = append(dv, str(d, "Name")+"="+str(d, "Value"))
		}
		byMetric[str(p, "Namespace")+" "+str(p, "MetricName")+" "+strings.Join(dv, ",")] = p
	}
	tests := []struct {
		key, statistic string
	}{
		{"AWS/Lambda Errors FunctionName=${" + provisionID + "}", "Sum"},
		{"AWS/Lambda Errors FunctionName=${" + driftID + "}", "Sum"},
		{"AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${" + dlqID + ".QueueName}", ""},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			p, ok := byMetric[tc.key]
			if !ok {
				t.Fatalf("got alarms %v; want one on %s", sortedKeys(byMetric), tc.key)
			}
			checks := []struct{ name, got, want string }{
				{"Threshold", str(p, "Threshold"), "1"},
				{"ComparisonOperator", str(p, "ComparisonOperator"), "GreaterThanOrEqualToThreshold"},
				{"Period", str(p, "Period"), "300"},
				{"EvaluationPeriods", str(p, "EvaluationPeriods"), "1"},
			}
			if tc.statistic != "" {
				checks = append(checks, struct{ name, got, want string }{"Statistic", str(p, "Statistic"), tc.statistic})
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %q; want %q", c.name, c.got, c.want)
				}
			}
			cond, then, els, ok := ifBranches(p["AlarmActions"])
			thenList, _ := stringList(then)
			if !ok || cond != "HasAlarmTopic" || !slices.Equal(thenList, []string{"${AlarmTopicArn}"}) || !isNoValue(els) {
				t.Errorf("AlarmActions: got %#v; want !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]", p["AlarmActions"])
			}
		})
	}
	if len(byMetric) != len(tests) {
		t.Errorf("alarms: got %v; want %d", sortedKeys(byMetric), len(tests))
	}
}

func TestOutputs(t *testing.T) {
	tpl := loadTemplate(t)
	want := map[string]string{
		"ProvisionFunctionArn":       "${ProvisionFunction.Arn}",
		"DriftFunctionArn":           "${DriftFunction.Arn}",
		"DeadLetterQueueUrl":         "${DeadLetterQueue}",
		"DeadLetterQueueArn":         "${DeadLetterQueue.Arn}",
		"ConfigPath":                 "${ConfigPath}",
		"ProjectRepositoryNamespace": "${CompanyName}-sm-*",
		"SharedRepositoryNamespace":  "${CompanyName}-sagemaker-shared/*",
		"SageMakerApiCallRuleName":   "${ProvisionFunctionSageMakerApiCall}",
		"ProjectTagChangeRuleName":   "${ProvisionFunctionProjectTagChange}",
		"DriftScheduleRuleName":      "${DriftFunctionSchedule}",
		"ConfigChangeRuleName":       "${DriftFunctionConfigChange}",
		"RepositoryEditRuleName":     "${DriftFunctionRepositoryEdit}",
		"SweepStateParameter":        "${SweepState}",
		"ConfigurationKept":          "${Configuration.Kept}",
		"DashboardName":              "${Dashboard}",
		"ProvisionFunctionRoleArn":   "${ProvisionFunctionRole.Arn}",
		"DriftFunctionRoleArn":       "${DriftFunctionRole.Arn}",
		"CentralEventBusArn":         "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default",
	}
	outputs, _ := tpl["Outputs"].(map[string]any)
	if g, w := sortedKeys(outputs), sortedKeys(want); !slices.Equal(g, w) {
		t.Errorf("outputs: got %v; want %v", g, w)
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			if g := str(outputs, name, "Value"); g != w {
				t.Errorf("Value: got %q; want %q", g, w)
			}
		})
	}
}

// TestDashboard: the dashboard's body is valid JSON once CloudFormation has substituted it, and
// it shows what the README says it does: the sweep's progress, cycles and oldest check, the
// differences found and fixed by setting, the repairs by event, errors, incomplete runs and
// duration.
func TestDashboard(t *testing.T) {
	tpl := loadTemplate(t)
	body := resolveSub(t, str(resource(t, tpl, "Dashboard"), "Properties", "DashboardBody"), map[string]string{
		"AWS::Region": "us-east-1", "ProvisionFunction": "stack-provision", "DriftFunction": "stack-drift",
		"DeadLetterQueue.QueueName": "stack-DeadLetterQueue-1",
	})
	var doc struct {
		Widgets []struct {
			Properties struct {
				Title   string  `json:"title"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("DashboardBody is not JSON: %v\n%s", err, body)
	}
	text := body
	for _, metric := range []string{"SweepProgress", "CycleComplete", "OldestCheckAge", `Differences\"`, "DifferencesFixed",
		"Repairs", "Incomplete", `"Errors"`, `"Duration"`, `InUse\"`, `Protected\"`, `Released\"`, "InventoryIncomplete"} {
		if !strings.Contains(text, metric) {
			t.Errorf("the dashboard shows no %s", metric)
		}
	}
	if len(doc.Widgets) < 8 {
		t.Errorf("widgets: %d; want at least 8", len(doc.Widgets))
	}
}
