#!/usr/bin/env python3
"""Check the search benchmark files: JSON per line, ids, kinds, paths, grades.

Run from anywhere:  python3 bench/search/validate.py
Exits non-zero on any error. Standard library only.
"""
import collections
import glob
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
KINDS = ['topic', 'no_diacritics', 'tool', 'paraphrase', 'topic_place', 'absent']
EXPECTED = {'topic': 10, 'no_diacritics': 8, 'tool': 6, 'paraphrase': 6, 'topic_place': 4, 'absent': 6}
# Calibration set (written after dev, same conventions): no `topic` queries, more absent ones.
EXPECTED_EXTRA = {'topic': 0, 'no_diacritics': 10, 'tool': 6, 'paraphrase': 14, 'topic_place': 10, 'absent': 20}
QUERY_FILES = [('queries_dev.jsonl', EXPECTED), ('queries_heldout.jsonl', EXPECTED),
               ('queries_extra.jsonl', EXPECTED_EXTRA)]


def corpus():
    files = sorted(glob.glob(os.path.join(ROOT, 'data/demo/archive/*.md')))
    files += sorted(glob.glob(os.path.join(ROOT, 'data/demo/submissions/*.md')))
    for fam in ('edu4', 'edu5', 'gov4', 'gov5'):
        files += [os.path.join(ROOT, 'bench/families', fam, x + '.md') for x in 'ABCD']
    files += sorted(glob.glob(os.path.join(HERE, 'corpus/*.md')))
    return [os.path.relpath(f, ROOT) for f in files]


def has_diacritics(s):
    return any(unicodedata.decomposition(c) or c in 'đĐ' for c in s if not c.isascii())


def main():
    errors = []
    docs = corpus()
    docset = set(docs)
    for d in docs:
        if not os.path.isfile(os.path.join(ROOT, d)):
            errors.append(f'corpus file missing: {d}')
    print(f'corpus: {len(docs)} documents')
    for f in sorted(glob.glob(os.path.join(HERE, 'corpus/*.md'))):
        text = open(f, encoding='utf-8').read()
        m = re.match(r'---\n(.*?)\n---\n(.*)', text, re.S)
        if not m:
            errors.append(f'{f}: no front matter')
            continue
        keys = set(re.findall(r'^(\w+):', m.group(1), re.M))
        if not {'title', 'author', 'unit', 'year', 'field'} <= keys:
            errors.append(f'{f}: front matter keys {sorted(keys)}')
        n = len([w for w in m.group(2).split() if not re.fullmatch(r'[|\-–:]+', w)])
        if not 400 <= n <= 700:
            errors.append(f'{f}: {n} words')
    all_queries = {}
    for name, expected in QUERY_FILES:
        path = os.path.join(HERE, name)
        kinds = collections.Counter()
        used = collections.Counter()
        with open(path, encoding='utf-8') as fh:
            for ln, line in enumerate(fh, 1):
                try:
                    q = json.loads(line)
                except json.JSONDecodeError as e:
                    errors.append(f'{name}:{ln}: bad JSON: {e}')
                    continue
                if set(q) != {'id', 'kind', 'query', 'relevant'}:
                    errors.append(f'{name}:{ln}: keys {sorted(q)}')
                qid, kind, text, rel = q.get('id'), q.get('kind'), q.get('query', ''), q.get('relevant', {})
                if qid in all_queries:
                    errors.append(f'{name}:{ln}: duplicate id {qid}')
                key = text.strip().lower()
                if key in {v.strip().lower() for v in all_queries.values()}:
                    errors.append(f'{name}:{ln}: query text reused: {text}')
                all_queries[qid] = text
                if kind not in KINDS:
                    errors.append(f'{name}:{ln}: unknown kind {kind}')
                kinds[kind] += 1
                for p, g in rel.items():
                    if p not in docset:
                        errors.append(f'{name}:{ln}: path not in corpus: {p}')
                    if not os.path.isfile(os.path.join(ROOT, p)):
                        errors.append(f'{name}:{ln}: path does not exist: {p}')
                    if g not in (1, 2, 3):
                        errors.append(f'{name}:{ln}: grade {g} for {p}')
                    used[p] += 1
                if kind == 'absent':
                    if rel:
                        errors.append(f'{name}:{ln}: absent query with relevant docs')
                elif not any(g >= 2 for g in rel.values()):
                    errors.append(f'{name}:{ln}: no document graded 2 or 3')
                if kind == 'no_diacritics' and has_diacritics(text):
                    errors.append(f'{name}:{ln}: no_diacritics query has diacritics: {text}')
                if kind == 'topic' and not 3 <= len(text.split()) <= 10:
                    errors.append(f'{name}:{ln}: topic query has {len(text.split())} words')
                if unicodedata.normalize('NFC', text) != text:
                    errors.append(f'{name}:{ln}: query not NFC')
        print(f'{name}: {sum(kinds.values())} queries; ' + ', '.join(f'{k} {kinds[k]}' for k in KINDS))
        for k in KINDS:
            if kinds[k] != expected[k]:
                print(f'  note: {k} {kinds[k]} (planned {expected[k]})')
        print(f'  documents judged relevant at least once: {len(used)}/{len(docs)}')
    for e in errors:
        print('ERROR', e)
    print('OK' if not errors else f'{len(errors)} error(s)')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
