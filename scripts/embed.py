#!/usr/bin/env python3
"""embed.py - turn a text file into a C header holding it as a string."""
import sys

src, dst, name = sys.argv[1:4]
with open(src, 'rb') as f:
    data = f.read()
with open(dst, 'w') as out:
    out.write('/* generated from %s by embed.py; do not edit */\n' % src.split('/')[-1])
    out.write('static const char %s[] =\n' % name)
    for line in data.decode('utf-8').splitlines(keepends=True):
        esc = line.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n').replace('\t', '\\t')
        out.write('\t"%s"\n' % esc)
    out.write(';\n')
