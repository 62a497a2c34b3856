package stack

// What the demo and the end-to-end tests read from the functions' responses. These mirror the
// product's JSON (internal/provision, internal/drift, internal/reconcile) rather than import
// it: they read the contract, as anyone outside the product would.

// ProvisionSummary is ProvisionFunction's response.
type ProvisionSummary struct {
	Status       string             `json:"status"`
	Project      string             `json:"project"`
	Team         string             `json:"team"`
	Account      string             `json:"account"`
	Reason       string             `json:"reason"`
	Repositories []RepositoryResult `json:"repositories"`
}

// RepositoryResult is one repository in a ProvisionSummary.
type RepositoryResult struct {
	Repository string   `json:"repository"`
	URI        string   `json:"uri"`
	Retention  int      `json:"retention"`
	Outcome    string   `json:"outcome"`
	Changes    []string `json:"changes"`
	Error      string   `json:"error"`
}

// DriftSummary is DriftFunction's response.
type DriftSummary struct {
	Mode      string `json:"mode"`
	Trigger   string `json:"trigger"`
	Scanned   int    `json:"scanned"`
	Compliant int    `json:"compliant"`
	Drifted   int    `json:"drifted"`
	Fixed     int    `json:"fixed"`
	Exempt    int    `json:"exempt"`
	Created   int    `json:"created"`
	Missing   int    `json:"missing"`
	Errors    int    `json:"errors"`
	Complete  bool   `json:"complete"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	// The sweep's progress through its cycle.
	Swept         int  `json:"swept"`
	SweepTotal    int  `json:"sweepTotal"`
	CycleComplete bool `json:"cycleComplete"`
	// The accounts that could not be read: a member role not assumed, a SageMaker that refused.
	Unreachable []string `json:"unreachable"`
	// With protect-in-use: the images in use found, the protections added and removed.
	InUse     int `json:"inUse"`
	Protected int `json:"protected"`
	Released  int `json:"released"`
	// The repository and the call a repair answered.
	Repository string `json:"repository"`
	Event      string `json:"event"`
	DurationMs int64  `json:"durationMs"`
}
