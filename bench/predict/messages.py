"""The benchmark messages: the two ~400-character bodies of predict.lua, read from that file so
wrk and the Python clients send the same text."""

import json
import pathlib
import re

LUA = pathlib.Path(__file__).with_name("predict.lua")


def load():
    """{"en": text, "zh": text} from the `local EN = [[...]]` / `local ZH = [[...]]` lines."""
    found = re.findall(r"^local (EN|ZH) = \[\[(.*?)\]\]$", LUA.read_text(encoding="utf-8"), re.M)
    texts = {k.lower(): json.loads(v)["text"] for k, v in found}
    if set(texts) != {"en", "zh"}:
        raise SystemExit(f"{LUA}: expected EN and ZH bodies, found {sorted(texts)}")
    return texts


def mixed(n):
    """n distinct ~400-character messages, alternating English and Chinese (a case number
    appended to each so no two are identical)."""
    texts = load()
    out = []
    for i in range(n):
        if i % 2 == 0:
            out.append(f"{texts['en']} Ref {i:05d}.")
        else:
            out.append(f"{texts['zh']}编号{i:05d}。")
    return out
