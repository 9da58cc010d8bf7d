package auth

import (
	"bytes"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// readHtpasswd reads an htpasswd file: `user:hash` a line, '#' comments.
// Only bcrypt hashes ($2a$, $2b$, $2y$: `htpasswd -B`) are accepted; any
// other (MD5 $apr1$, SHA1 {SHA}, crypt, plain text) refuses the file,
// since those are fast to brute-force from a leaked file. It returns the
// users and the highest cost seen (for the dummy hash of unknown users).
func readHtpasswd(path string) (map[string]*user, int, error) {
	data, err := readFile("users_file", path)
	if err != nil {
		return nil, 0, err
	}
	users := map[string]*user{}
	maxCost := bcrypt.MinCost
	err = eachLine(data, func(n int, line []byte) error {
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			return fmt.Errorf("users_file: %s line %d: want user:bcrypt-hash", path, n)
		}
		name, hash := string(line[:i]), bytes.Clone(line[i+1:])
		if err := checkName(name); err != nil {
			return fmt.Errorf("users_file: %s line %d: user: %v", path, n, err)
		}
		if !bytes.HasPrefix(hash, []byte("$2a$")) && !bytes.HasPrefix(hash, []byte("$2b$")) && !bytes.HasPrefix(hash, []byte("$2y$")) {
			return fmt.Errorf("users_file: %s line %d: user %q: not a bcrypt hash (only bcrypt entries are accepted: create them with htpasswd -B)", path, n, name)
		}
		cost, err := bcrypt.Cost(hash)
		if err != nil {
			return fmt.Errorf("users_file: %s line %d: user %q: bad bcrypt hash: %v", path, n, name, err)
		}
		if _, dup := users[name]; dup {
			return fmt.Errorf("users_file: %s line %d: user %q is listed twice", path, n, name)
		}
		users[name] = &user{name: name, hash: hash}
		maxCost = max(maxCost, cost)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if len(users) == 0 {
		return nil, 0, fmt.Errorf("users_file: %s has no users", path)
	}
	return users, maxCost, nil
}
