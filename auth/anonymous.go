package auth

// defaultMethods is what a HELLO without authmethods offers.
var defaultMethods = []string{MethodAnonymous}

// Open is the Authenticator of a node without authentication: every
// session is anonymous (role "anonymous", authmethod "anonymous",
// provider "static"), whatever it offers.
func Open() *Authenticator { return &Authenticator{cfg: Config{AllowAnonymous: true}} }
