// Package lifecycleeval tells a test which images an Amazon ECR lifecycle policy would expire.
// Local emulators store lifecycle policies but never apply them, and ECR applies them on its own
// schedule, so a test that wants to know what a policy means evaluates it here, by the rules the
// Amazon ECR User Guide documents.
//
// Evaluate returns the expired images, Explain also names the rule that expires each, and
// Validate only checks a policy text.
//
// # Evaluation
//
// Each rule is followed by the sentence of the user guide it comes from. "Lifecycle policies"
// is the page "Automate the cleanup of images by using lifecycle policies in Amazon ECR" (its
// section "Lifecycle policy evaluation rules"), "Properties" is "Lifecycle policy properties in
// Amazon ECR" and "Examples" is "Examples of lifecycle policies in Amazon ECR".
//
//   - Rules apply in rulePriority order, lowest number first. Properties: "Sets the order in
//     which rules are applied, lowest to highest. A lifecycle policy rule with a priority of 1
//     is applied first, a rule with priority of 2 is next, and so on."
//   - tagStatus any selects every image, untagged every image without tags, tagged every image
//     with at least one tag that also satisfies the rule's tag list. Properties: "If you specify
//     any, then all images have the rule evaluated against them."
//   - tagPrefixList: every entry must be a prefix of at least one of the image's tags (one tag
//     may satisfy several entries). Lifecycle policies: "When using the tagPrefixList, an image
//     is successfully matched if all of the tags in the tagPrefixList value are matched against
//     any of the image's tags." Properties: "if your images are tagged as prod, prod1, prod2,
//     and so on, you would use the tag prefix prod to specify all of them."
//   - tagPatternList: the same, with each entry matched against a whole tag and '*' standing
//     for any run of characters, the empty one included. Properties: "You specify a
//     comma-separated list of image tag patterns that may contain wildcards (*) ... if your
//     images are tagged as prod, prod1, prod2, and so on, you would use the tag pattern list
//     prod* to specify all of them. If you specify multiple tags, only the images with all
//     specified tags are selected." Examples ("Filtering on multiple tags in a single rule"):
//     "When multiple tag prefixes are specified on a single rule, images must match all listed
//     tag prefixes."
//   - countType imageCountMoreThan keeps the countNumber newest images the rule selects and
//     marks the rest. Lifecycle policies: "With countType = imageCountMoreThan, images are
//     sorted from youngest to oldest based on pushed_at_time and then all images greater than
//     the specified count are expired." The guide says nothing of equal push times; they are
//     ordered by digest here, so results do not depend on input order.
//   - countType sinceImagePushed (countUnit days) marks the selected images pushed more than
//     countNumber × 24 hours before now; an image exactly that old is kept. Lifecycle policies:
//     "With countType = sinceImagePushed, all images whose pushed_at_time is older than the
//     specified number of days based on countNumber are expired."
//   - A rule never expires an image that a rule of higher priority selected, whether or not that
//     rule expired it, and so an image is expired by at most one rule. Lifecycle policies: "An
//     image that matches the tagging requirements of a rule cannot be expired by a rule with a
//     lower priority." and "An image is expired by exactly one or zero rules."
//   - A rule still counts the images a higher rule selected or expired: they take up places
//     among a keep-newest-N rule's N, and are only skipped when it marks. Lifecycle policies:
//     "Rules can never mark images that are marked by higher priority rules, but can still
//     identify them as if they haven't been expired." Examples ("Filtering on multiple rules",
//     Example A, rule 2 selecting beta, keeping 1, over images A and B tagged beta and prod and
//     the newer C tagged beta only): "It marks both Image A and Image B for expiration. However,
//     Image A has already been seen by Rule 1 and if Image B were expired it would violate
//     Rule 1 and thus is skipped." So a protecting rule (one that selects some tags and expires
//     practically nothing) keeps its images from every later rule, and those images still count
//     toward a later keep-newest-N rule's N.
//
// # Validation
//
// Each check is again followed by its source. A policy that breaks one is an error naming the
// rule (rules[i], its position in the text) and the problem; several problems are reported
// together.
//
//   - The text is one JSON object whose only key is rules, a non-empty array of rules. Lifecycle
//     policies: "A lifecycle policy consists of one or more rules".
//   - The text is 100 to 30720 characters long. PutLifecyclePolicy API reference,
//     lifecyclePolicyText: "Length Constraints: Minimum length of 100. Maximum length of
//     30720."
//   - At most 50 rules: ECR's quota of rules a policy, which internal/lifecycle.MaxRules also
//     states; the user guide pages quoted here do not give it.
//   - rulePriority is an integer, unique in the policy. Properties: "Type: integer Required:
//     yes ... When you add rules to a lifecycle policy, you must give them each a unique value
//     for rulePriority. Values don't need to be sequential across rules in a policy."
//   - A tagStatus any rule has the highest rulePriority, so there is at most one. Properties: "A
//     rule with a tagStatus value of any must have the highest value for rulePriority and be
//     evaluated last."
//   - tagStatus is tagged, untagged or any; tagged needs a non-empty tagPrefixList or
//     tagPatternList, untagged and any have neither. Properties: "Acceptable options are
//     tagged, untagged, or any. ... If you specify tagged, then you must also specify a
//     tagPrefixList value or a tagPatternList value. If you specify untagged, then you must omit
//     both tagPrefixList and tagPatternList." For any, the lifecycle policy template's note: "The
//     tagPrefixList parameter is only used if tagStatus is tagged".
//   - Not both lists in one rule. Properties makes each the alternative of the other
//     ("Required: yes, if tagStatus is set to tagged and tagPrefixList isn't specified") and
//     never says how the two would combine, so this package refuses to guess.
//   - At most four '*' in a pattern. Properties: "There is a maximum limit of four wildcards (*)
//     per string." An empty list entry, which would match every tag, is refused too (this
//     package's choice; the guide is silent).
//   - No two tagged rules with the same set of prefixes, nor with the same set of patterns.
//     Lifecycle policies: "The set of rules must contain a unique set of tag prefixes."
//   - At most one tagStatus untagged rule. Lifecycle policies: "Only one rule is allowed to
//     select untagged images." A tagStatus any rule also sees untagged images, but it is not
//     counted: that reading would forbid the widely used policy of an untagged rule followed by
//     a keep-newest-N any rule.
//   - countType is imageCountMoreThan or sinceImagePushed; countUnit is days, present with
//     sinceImagePushed and absent otherwise. Properties, countUnit: "Required: yes, only if
//     countType is set to sinceImagePushed ... Specify a count unit of days ... an error will
//     occur if you specify a count unit when countType is any other value."
//   - countNumber is a positive integer. Properties: "Acceptable values are positive integers (0
//     is not an accepted value)."
//   - action.type is expire. Properties, action: "Specify an action type. The supported value is
//     expire."
//
// The guide also describes archiving (storageClass, countType sinceImagePulled and
// sinceImageTransitioned, action transition). Image, the input here, has no pull time or storage
// class, so such a policy is refused as unsupported rather than evaluated wrongly. Any key the
// guide does not name is refused as well, and keys match exactly (JSON decoding that ignores
// case or unknown keys would evaluate a policy that is not the one written).
package lifecycleeval
