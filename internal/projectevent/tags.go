package projectevent

import (
	"encoding/json"
	"errors"
)

// tag is one entry of a CloudTrail tag list. SageMaker's API spells the fields Key and Value;
// CloudTrail records have been seen with key and value. Both are read explicitly rather than
// relying on encoding/json's case-insensitive matching, so a record holding both spellings is
// read the same way every time.
type tag struct {
	Key   string
	Value string
}

func (t *tag) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("a tag is not a JSON object")
	}
	read := func(names ...string) (string, error) {
		for _, n := range names {
			if v, ok := raw[n]; ok {
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					return "", errors.New("tag field " + n + " is not a string")
				}
				return s, nil
			}
		}
		return "", nil
	}
	var err error
	if t.Key, err = read("Key", "key"); err != nil {
		return err
	}
	if t.Key == "" {
		return errors.New("a tag has no key")
	}
	t.Value, err = read("Value", "value")
	return err
}

// tagList is a CloudTrail tag list.
type tagList []tag

// Map returns the tags as a map; a later duplicate key wins, as in SageMaker.
func (l tagList) Map() map[string]string {
	m := make(map[string]string, len(l))
	for _, t := range l {
		m[t.Key] = t.Value
	}
	return m
}
