"""Builds the collect benchmark tree: ~2,000 log files, ~400 MB, mixed text, .gz and binary."""
import gzip, os, random, sys

root = sys.argv[1]
rnd = random.Random(6)
words = ["GET", "POST", "/api/v1/orders", "/login", "200", "404", "500", "sshd", "Accepted", "Failed", "password", "for", "deploy", "from", "198.51.100.23", "203.0.113.7", "port", "ssh2", "example.com", "Mozilla/5.0", "curl/8.5", "session", "opened", "closed", "user", "root", "CRON", "kernel:", "UFW", "BLOCK", "IN=eth0"]

def text(n):
    out, size = [], 0
    while size < n:
        line = f"2026-01-{rnd.randint(1,28):02d}T{rnd.randint(0,23):02d}:{rnd.randint(0,59):02d}:{rnd.randint(0,59):02d}Z web-1 " + " ".join(rnd.choice(words) for _ in range(rnd.randint(6, 18))) + f" id={rnd.getrandbits(48):x}\n"
        out.append(line); size += len(line)
    return "".join(out).encode()

total = 0
for i in range(2000):
    d = os.path.join(root, f"svc{i % 40:02d}")
    os.makedirs(d, exist_ok=True)
    kind = i % 10
    if kind < 6:  # plain text logs, most of the volume
        size = rnd.randint(50_000, 500_000)
        data = text(size)
        name = f"app{i}.log" if kind else f"app{i}.log.1"
    elif kind < 9:  # rotated, already gzip-compressed
        data = gzip.compress(text(rnd.randint(100_000, 600_000)), 6)
        name = f"app{i}.log.{kind}.gz"
    else:  # binary: journal-like, half random
        size = rnd.randint(200_000, 1_000_000)
        data = os.urandom(size // 2) + bytes(size - size // 2)
        name = f"system{i}.journal"
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
    total += len(data)
print(f"{total / 1e6:.0f} MB in 2000 files", file=sys.stderr)
