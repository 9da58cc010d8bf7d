package auth

// Auth is one rule's compiled `auth` feature: its methods (nil when not
// configured), in the order the request path must try them.
type Auth struct {
	APIKeys *APIKeys
	Basic   *Basic

	challenges []string
	files      []string
}

// New compiles c, reading the files it names. A file that cannot be read
// or holds a bad entry is an error naming the field, the file and the line.
func New(c *Config) (*Auth, error) {
	a := &Auth{}
	if c.APIKeys != nil {
		k, err := newAPIKeys(c.APIKeys)
		if err != nil {
			return nil, err
		}
		a.APIKeys = k
		a.challenges = append(a.challenges, k.Challenge())
		if c.APIKeys.KeysFile != "" {
			a.files = append(a.files, c.APIKeys.KeysFile)
		}
	}
	if c.Basic != nil {
		b, err := newBasic(c.Basic)
		if err != nil {
			return nil, err
		}
		a.Basic = b
		a.challenges = append(a.challenges, b.Challenge())
		a.files = append(a.files, c.Basic.UsersFile)
	}
	return a, nil
}

// Challenges are the WWW-Authenticate values of a 401 from this rule: one
// per configured method, in method order, so a client learns every way in.
func (a *Auth) Challenges() []string { return a.challenges }

// Files are the files the methods were read from: a change to one is a
// reason to reload the config.
func (a *Auth) Files() []string { return a.files }

// NeedsClient reports whether a method uses State.Client (Basic's failure
// throttle), so the caller computes the client's address only then.
func (a *Auth) NeedsClient() bool { return a.Basic != nil }
