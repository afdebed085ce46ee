package broker

// Route is one line of the route table, for the external tests.
type Route struct {
	Methods, Path string
	Bearer        bool // the bearer JWT authenticates the caller
}

// RouteTable is the route table (routes.go) as the tests read it.
func RouteTable() []Route {
	out := make([]Route, len(routes))
	for i, rt := range routes {
		out[i] = Route{Methods: rt.methods, Path: rt.path, Bearer: rt.auth == bearerJWT}
	}
	return out
}
