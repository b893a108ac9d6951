#!/usr/bin/env python3
"""Convert a registry bundle's model.json into the plain-text layout that
crates/text-model/examples/rss_probe.rs reads (the probe cannot parse JSON: text-model has
no serialisation dependency, by design).

    model_json_to_tsv.py MODEL_JSON OUT_TSV

OUT_TSV: `#key<TAB>value` lines (threshold, intercept, sublinear_tf, cjk, ngram_min,
ngram_max, stop_words, max_chars), then `term<TAB>idf<TAB>coefficient` per feature, in order.
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    m = json.load(open(sys.argv[1], encoding="utf-8"))
    tok = m["tokenizer"]
    feats, idf, coef = m["features"], m["idf"], m["coefficients"]
    if not len(feats) == len(idf) == len(coef):
        sys.exit("model.json: features/idf/coefficients lengths differ")
    with open(sys.argv[2], "w", encoding="utf-8", newline="\n") as out:
        for key, value in [
            ("threshold", m["threshold"]),
            ("intercept", m["intercept"]),
            ("sublinear_tf", str(m["sublinear_tf"]).lower()),
            ("cjk", tok.get("cjk", "jieba")),
            ("ngram_min", tok.get("ngram_min", 1)),
            ("ngram_max", tok.get("ngram_max", 2)),
            ("stop_words", str(tok.get("stop_words", True)).lower()),
            ("max_chars", tok.get("max_chars", 0)),
        ]:
            out.write(f"#{key}\t{value!r}\n" if isinstance(value, float) else f"#{key}\t{value}\n")
        for t, w, c in zip(feats, idf, coef):
            if "\t" in t or "\n" in t or t.startswith("#"):
                sys.exit(f"model.json: term {t!r} cannot be written as TSV")
            out.write(f"{t}\t{w!r}\t{c!r}\n")
    print(f"{sys.argv[2]}: {len(feats)} terms, cjk={tok.get('cjk')}", file=sys.stderr)


if __name__ == "__main__":
    main()
