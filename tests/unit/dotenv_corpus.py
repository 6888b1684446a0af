"""Files every reader of .env must agree on: ours and python-dotenv's ``dotenv_values``.

Each case is the raw bytes of a whole file; ``test_dotenv_corpus`` writes it to disk and compares
our reading with python-dotenv's on the same path, value by value.
"""

from __future__ import annotations

__all__ = ["CORPUS"]

CORPUS: dict[str, bytes] = {
    # plain values, spacing and the export prefix
    "plain": b"A=1\n",
    "no final newline": b"A=1",
    "two keys": b"A=1\nB=2\n",
    "spaces around equals": b"A = 1\n",
    "tab around equals": b"A\t=\t1\n",
    "leading blanks before key": b"   A=1\n",
    "trailing blanks after value": b"A=1   \n",
    "blanks inside unquoted value": b"A=one two  three\n",
    "export prefix": b"export A=1\n",
    "export with several blanks": b"export   A=1\n",
    "key named export": b"export=1\n",
    "key with dots and dashes": b"APP.KEY-ID=1\n",
    "lower case key": b"db_password=x\n",
    "underscore key": b"_PRIVATE=x\n",
    "equals in value": b"A=k=v=w\n",
    "url value": b"DATABASE_URL=postgresql://u:p@db:5432/app?sslmode=require\n",
    # comments
    "comment line": b"# a comment\nA=1\n",
    "indented comment": b"   # indented\nA=1\n",
    "comment after unquoted value": b"A=1 # note\n",
    "hash without blank is value": b"A=abc#def\n",
    "hash at value start no blank": b"A=#x\n",
    "comment after single quotes": b"A='x' # note\n",
    "comment after double quotes": b'A="x" # note\n',
    "comment glued after quote": b"A='x'#note\n",
    "hash inside single quotes": b"A='a # b'\n",
    "hash inside double quotes": b'A="a # b"\n',
    "comment with quotes in it": b'A=1 # it\'s "fine"\n',
    # empty values
    "empty unquoted": b"A=\n",
    "empty single quoted": b"A=''\n",
    "empty double quoted": b'A=""\n',
    "empty at end of file": b"A=",
    "empty then key": b"A=\nB=2\n",
    # single quotes
    "single quoted": b"A='hello world'\n",
    "single quoted escaped backslash": b"A='b\\\\c'\n",
    "single quoted escaped quote and comment": b"A='b\\' # c'\n",
    "single quoted backslash n stays": b"A='a\\nb'\n",
    "single quoted dollar": b"A='$HOME ${HOME}'\n",
    "single quoted double quote": b"A='say \"hi\"'\n",
    "single quoted multiline": b"A='one\ntwo'\nB=3\n",
    "single quoted blanks kept": b"A='  padded  '\n",
    "single quoted lone backslash": b"A='C:\\path\\to'\n",
    # double quotes and their escapes
    "double quoted": b'A="hello world"\n',
    "double quoted escaped dollar": b'A="x\\$y"\n',
    "double quoted newline escape": b'A="a\\nb"\n',
    "double quoted tab escape": b'A="a\\tb"\n',
    "double quoted cr escape": b'A="a\\rb"\n',
    "double quoted escaped backslash": b'A="a\\\\b"\n',
    "double quoted escaped quote": b'A="say \\"hi\\""\n',
    "double quoted escaped single quote": b'A="it\\\'s"\n',
    "double quoted unknown escape": b'A="a\\xb\\qc"\n',
    "double quoted bell and friends": b'A="\\a\\b\\f\\v"\n',
    "double quoted single quote": b'A="it\'s"\n',
    "double quoted multiline": b'A="one\ntwo"\nB=3\n',
    "double quoted blanks kept": b'A="  padded  "\n',
    "double quoted dollar plain": b'A="${HOME} $HOME"\n',
    # unquoted oddities
    "unquoted backslashes kept": b"A=a\\nb\\\\c\n",
    "unquoted quote inside": b"A=it's\n",
    "unquoted double quote inside": b'A=say"hi"\n',
    "unquoted dollar": b"A=${HOME}/x $Y\n",
    "unquoted ends with backslash": b"A=ends\\\n",
    "unquoted backtick": b"A=`cmd`\n",
    # line endings
    "crlf": b"A=1\r\nB=2\r\n",
    "cr only": b"A=b\rc=d\r",
    "crlf inside double quotes": b'A="x\r\ny"\r\nB=2\r\n',
    "crlf inside single quotes": b"A='x\r\ny'\r\n",
    "crlf with comment": b"A=1 # c\r\nB='2' # c\r\n",
    "mixed line endings": b"A=1\nB=2\r\nC=3\rD=4\n",
    "blank lines between": b"A=1\n\n\n\nB=2\n",
    "blank lines with spaces": b"A=1\n   \n\t\nB=2\n",
    # unicode
    "unicode unquoted": "A=unicode ✓ 日本 é\n".encode(),
    "unicode single quoted": "A='ünïcödé — 😀'\n".encode(),
    "unicode double quoted with escape": 'A="日本\\n語"\n'.encode(),
    "emoji key neighbour": "A=😀\nB=2\n".encode(),
    # whole files
    "a real app file": (
        b"# Gaara Store\nFLASK_APP=gaara_store.app\nexport LOG_LEVEL=info # verbose later\n"
        b"DATABASE_URL='postgresql://gaara:p%40ss@db:5432/gaara'\n"
        b'JWT_SECRET_KEY="multi\\nline\\tkey"\nSTRIPE_API_KEY=sk_test_123\n\n'
        b"SENDGRID_API_KEY='SG.abc\\\\def'\n"
    ),
    "quoted key": b"'A'=1\n",
    "value with json": b'A=\'{"a": 1, "b": [true, null]}\'\n',
    "value with equals and quotes": b"A=\"k='v'\"\n",
}
