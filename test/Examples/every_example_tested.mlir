// Every top-level example has a lit test of the same name in this directory,
// opens with a one-line comment naming the system, and defines one function.
// RUN: ls %examples/*.mlir > %t.examples; test -s %t.examples; for f in $(cat %t.examples); do name=$(basename $f); test -f %S/$name || { echo "no test/Examples/$name"; exit 1; }; head -n 1 $f | grep -q '^// [A-Z]' || { echo "$name does not open with a comment naming the system"; exit 1; }; test $(grep -c 'func.func @' $f) -eq 1 || { echo "$name must define exactly one function"; exit 1; }; done
