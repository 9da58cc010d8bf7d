package ui

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/adminauth"
	"github.com/premier-gateway/premier/ui/source"
)

var loginPage = template.Must(template.ParseFS(assetsFS, "assets/login.html"))

type loginData struct {
	Prefix string
	Error  string
}

// unauthorized answers an unauthenticated request: the login form for
// the page, a JSON 401 for the API and metrics.
func (d *Dashboard) unauthorized(ctx *fasthttp.RequestCtx, acc source.Access, sub string) {
	ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="premier dashboard"`)
	if (sub == "" || sub == "/") && ctx.IsGet() {
		d.writeLogin(ctx, acc, fasthttp.StatusUnauthorized, "")
		return
	}
	writeJSONError(ctx, fasthttp.StatusUnauthorized, "unauthorized: send Authorization: Bearer <dashboard.token> or log in at "+acc.Prefix+"/login")
}

func (d *Dashboard) writeLogin(ctx *fasthttp.RequestCtx, acc source.Access, status int, msg string) {
	var b bytes.Buffer
	if err := loginPage.Execute(&b, loginData{Prefix: acc.Prefix, Error: msg}); err != nil {
		writeJSONError(ctx, fasthttp.StatusInternalServerError, "login page: "+err.Error())
		return
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/html; charset=utf-8")
	ctx.SetBody(b.Bytes())
}

// serveLogin shows the form (GET) or checks the token and sets the
// session cookie (POST, same-origin only).
func (d *Dashboard) serveLogin(ctx *fasthttp.RequestCtx, acc source.Access) {
	home := acc.Prefix + "/"
	if acc.Token == "" {
		ctx.Redirect(home, fasthttp.StatusSeeOther)
		return
	}
	switch {
	case ctx.IsGet():
		d.writeLogin(ctx, acc, fasthttp.StatusOK, "")
		return
	case !ctx.IsPost():
		methodNotAllowed(ctx, "GET, POST")
		return
	}
	if !d.sameOriginOK(ctx, unauthenticated) {
		writeJSONError(ctx, fasthttp.StatusForbidden, "cross-origin request refused")
		return
	}
	now := d.opts.now()
	client := clientKey(ctx, acc)
	if d.logins.blocked(now, client) {
		ctx.Response.Header.Set("Retry-After", "60")
		d.writeLogin(ctx, acc, fasthttp.StatusTooManyRequests, "Too many failed attempts; wait a minute.")
		return
	}
	if !adminauth.TokenEqual(ctx.PostArgs().Peek("token"), acc.Token) {
		d.logins.failed(now, client)
		d.log.Warn("dashboard login failed", "client", client)
		d.writeLogin(ctx, acc, fasthttp.StatusUnauthorized, "Wrong token.")
		return
	}
	d.setSession(ctx, acc, sessionValue(acc.Token, now.Add(d.opts.SessionTTL)), int(d.opts.SessionTTL.Seconds()))
	ctx.Redirect(home, fasthttp.StatusSeeOther)
}

// serveLogout clears the cookie (POST, same-origin only).
func (d *Dashboard) serveLogout(ctx *fasthttp.RequestCtx, acc source.Access) {
	if !ctx.IsPost() {
		methodNotAllowed(ctx, "POST")
		return
	}
	if !d.sameOriginOK(ctx, unauthenticated) {
		writeJSONError(ctx, fasthttp.StatusForbidden, "cross-origin request refused")
		return
	}
	d.setSession(ctx, acc, "", -1)
	ctx.Redirect(acc.Prefix+"/login", fasthttp.StatusSeeOther)
}

func (d *Dashboard) setSession(ctx *fasthttp.RequestCtx, acc source.Access, value string, maxAge int) {
	c := fasthttp.AcquireCookie()
	defer fasthttp.ReleaseCookie(c)
	c.SetKey(cookieName)
	c.SetValue(value)
	c.SetPath(strings.TrimSuffix(acc.Prefix, "/") + "/")
	c.SetHTTPOnly(true)
	c.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	c.SetSecure(ctx.IsTLS())
	if maxAge < 0 {
		c.SetExpire(fasthttp.CookieExpireDelete)
	} else {
		c.SetMaxAge(maxAge)
	}
	ctx.Response.Header.SetCookie(c)
}
