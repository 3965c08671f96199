package web

// What the tests of package web_test need of the package's insides.

// DefaultMaxBody is the body limit of an ordinary route.
const DefaultMaxBody = defaultMaxBody
