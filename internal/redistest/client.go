package redistest

import "github.com/redis/rueidis"

// Client is a rueidis client (client-side caching off) for the server,
// closed when the server's test ends, before the server is killed.
func (s *Server) Client() rueidis.Client {
	s.t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{s.Addr()}, DisableCache: true})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(c.Close)
	return c
}
