"""The integrity file (诚信档案): falsification, misconduct, blacklisting and revocations, and the units to flag."""
