package web

// errorPage shows an error from any route.
type errorPage struct {
	Page
	Status    int
	Message   string
	Fields    map[string]string
	RequestID string
}
