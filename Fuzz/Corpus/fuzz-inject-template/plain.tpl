no placeholders at all, {{ not ours }} and } { braces
