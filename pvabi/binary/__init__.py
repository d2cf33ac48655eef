"""Layouts as compilers see them: DWARF and BTF of built binaries, C headers through the compiler.

``facts`` is the neutral form both readers produce; ``builder`` turns it into
layout definitions; ``extract``, ``checkbin`` and ``importc`` are the library
calls behind ``pvabi extract``, ``check-binary`` and ``import-c``. pyelftools is
imported only here, so ``import pvabi`` and the other commands stay fast.
"""
