"""A conflicted lockfile regenerated, never hand-merged: its two sides read (from git's
conflict markers or its index), the merged manifests relocked preferring the versions
either side locked, and a git merge driver that does the same during `git merge`."""
