"""Follows a confirm / dispute link from a notice as a person does in a browser: opens the page
(GET, which must record nothing), finds its form, and presses the button with the wanted answer
(a form POST with the page's hidden fields and the button's name and value).

  follow_link.py URL ANSWER        ANSWER: confirm or dispute
Prints the thank-you page's status and text as JSON; exits 1 when the page or form is wrong.
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""),
                               "method": attrs.get("method", "get").lower(),
                               "fields": [], "buttons": []})
        elif tag == "input" and self.forms and attrs.get("type") == "hidden":
            self.forms[-1]["fields"].append((attrs.get("name"), attrs.get("value", "")))
        elif tag == "button" and self.forms and attrs.get("type", "submit") == "submit":
            self.forms[-1]["buttons"].append((attrs.get("name"), attrs.get("value", "")))

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


def fetch(request):
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def main():
    url, answer = sys.argv[1], sys.argv[2]
    status, page = fetch(urllib.request.Request(url, headers={"accept": "text/html"}))
    if status != 200:
        print(json.dumps({"step": "get", "status": status, "page": page[:500]}))
        return 1
    parser = FormParser()
    parser.feed(page)
    forms = [f for f in parser.forms if (None, None) not in f["buttons"]]
    choice = [(f, b) for f in forms for b in f["buttons"] if b[1] == answer]
    if not choice or choice[0][0]["method"] != "post":
        print(json.dumps({"step": "form", "forms": parser.forms}))
        return 1
    form, button = choice[0]
    action = urllib.parse.urljoin(url, form["action"] or url)
    body = urllib.parse.urlencode(form["fields"] + [button]).encode()
    status, page = fetch(urllib.request.Request(
        action, data=body, method="POST",
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"}))
    thanks = FormParser()
    thanks.feed(page)
    print(json.dumps({"step": "post", "status": status, "text": " ".join(thanks.text)},
                     ensure_ascii=False))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
