package oauth_test

import (
	"context"
	"strings"
	"testing"
)

// A client name that imitates another app's is flagged on the consent page
// (P4): the user sees a warning naming the alphabets. Registration refuses
// a word that mixes scripts (TestB10_16_RegistrationValidation), so the
// "ChatGРТ Оfficial" row stands for a client registered before that rule;
// names a real app may have but an imitation may too are accepted and
// warned about; ordinary names, Latin or not, get no warning.
func TestConsentPageWarnsAboutLookAlikeClientNames(t *testing.T) {
	e := newEnv(t)
	b := e.browser(e.newUser())
	const warning = "Check the app's name."
	for _, c := range []struct {
		name, want string // want "" means no warning
	}{
		{"ChatGРТ Оfficial", "mixes letters from different alphabets (Cyrillic and Latin)"},
		{"ChatGPT Помощник", "mixes letters from different alphabets (Cyrillic and Latin)"},
		{"СоАР", "written in Cyrillic letters that look like Latin ones"},
		{"ChatGPT", ""},
		{"Задачи", ""},
		{"タスク管理 App", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			registeredAs := c.name
			if c.name == "ChatGРТ Оfficial" {
				registeredAs = "placeholder"
			}
			client := e.register(map[string]any{"client_name": registeredAs})
			if registeredAs != c.name {
				if _, err := tdb.Admin(t).Exec(context.Background(), `UPDATE oauth_clients SET client_name = $1 WHERE client_id = $2`, c.name, client.ID); err != nil {
					t.Fatal(err)
				}
			}
			_, page := e.consent(b, e.authorizeURL(client, newPKCE(), nil))
			if !strings.Contains(page, "<strong>"+c.name+"</strong>") {
				t.Fatalf("the page does not name the client %q", c.name)
			}
			switch {
			case c.want == "" && strings.Contains(page, warning):
				t.Errorf("%q gets a look-alike warning", c.name)
			case c.want != "" && (!strings.Contains(page, warning) || !strings.Contains(page, c.want)):
				t.Errorf("%q: the page does not warn %q", c.name, c.want)
			}
		})
	}
}
