#!/usr/bin/python3
"""ps-check: what can be checked of a PowerShell script without PowerShell.

  ps-check FILE

Tokenises FILE the way PowerShell reads it (single-quoted strings with ''
escapes and the typographic quotes U+2018-U+201B, double-quoted strings
with backtick escapes, here-strings @' '@ and @" "@, # and <# #> comments)
and checks: (), {} and [] balance outside strings and comments, in the
script and in each here-string that holds code (@' '@ bodies are checked
as scripts too); no bash-ism (&&, ||, [[, fi, then, esac, done, export,
a #! line, a << heredoc, `` `cmd` ``); no %%NAME%% left unrendered.
Prints one line per problem; exit 0 when none, 1 otherwise.
"""
import re
import sys

SQ = "'\u2018\u2019\u201a\u201b"
PAIRS = {")": "(", "}": "{", "]": "["}
BASHISM = [(re.compile(r"&&|\|\|"), "&& or || (Windows PowerShell 5.1 has neither)"),
           (re.compile(r"\[\["), "[[ ]]"),
           (re.compile(r"^\s*(fi|then|esac|done|elif|export)\b"), "a shell keyword"),
           (re.compile(r"<<"), "a heredoc"),
           (re.compile(r"%%[A-Z_]+%%"), "an unrendered %%NAME%%")]


def check(text, where, problems):
    code = []           # the text outside strings and comments, per line
    i, n, line = 0, len(text), 1
    stack = []
    cur = []
    heres = []
    while i < n:
        c = text[i]
        if c == "\n":
            code.append("".join(cur))
            cur = []
            line += 1
            i += 1
        elif text.startswith("<#", i):
            j = text.find("#>", i + 2)
            if j < 0:
                problems.append(f"{where}:{line}: unterminated <# comment")
                return
            line += text.count("\n", i, j)
            i = j + 2
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("@'", i) or text.startswith('@"', i):
            q = text[i + 1]
            if text[i + 2:i + 3] != "\n":
                problems.append(f"{where}:{line}: here-string opener not at a line end")
            end = text.find("\n" + q + "@", i + 2)
            if end < 0:
                problems.append(f"{where}:{line}: unterminated here-string")
                return
            body = text[i + 3:end]
            if q == "'":
                heres.append((line + 1, body))
            line += text.count("\n", i, end + 1)
            i = end + 3
            cur.append("''")
        elif c in SQ:
            j = i + 1
            while True:
                if j >= n:
                    problems.append(f"{where}:{line}: unterminated '")
                    return
                if text[j] in SQ:
                    if j + 1 < n and text[j + 1] in SQ:
                        j += 2
                        continue
                    break
                j += 1
            line += text.count("\n", i, j)
            i = j + 1
            cur.append("''")
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "`" else 1
            if j >= n:
                problems.append(f"{where}:{line}: unterminated \"")
                return
            line += text.count("\n", i, j)
            i = j + 1
            cur.append('""')
        else:
            if c in "({[":
                stack.append((c, line))
            elif c in ")}]":
                if not stack or stack[-1][0] != PAIRS[c]:
                    problems.append(f"{where}:{line}: unbalanced {c}")
                    return
                stack.pop()
            elif c == "`" and text[i + 1:i + 2] not in ("\n", "n", "t", "r"):
                pass
            cur.append(c)
            i += 1
    code.append("".join(cur))
    for c, ln in stack:
        problems.append(f"{where}:{ln}: {c} never closed")
    for k, l in enumerate(code):
        for rx, what in BASHISM:
            if rx.search(l):
                problems.append(f"{where}:{k + 1}: {what}: {l.strip()}")
    for ln, body in heres:
        check(body, f"{where}(here-string at {ln})", problems)


def main(argv):
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    text = open(argv[0], encoding="utf-8").read()
    problems = []
    if text.startswith("#!"):
        problems.append(f"{argv[0]}:1: a #! line")
    check(text, argv[0], problems)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
