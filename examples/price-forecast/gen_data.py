#!/usr/bin/env python3
"""The two monthly series of the price-forecast example, deterministically
(standard library only, the same bytes on every machine):

  data/precios.csv  mes,precio: 120 months 2012-2021 with Spanish month
                    names (Ene-2014), "1.234.567,89" numbers, CRLF line
                    ends, and one row with an invalid date (Ago-20x4) that
                    the source's error budget rejects;
  data/macro.csv    periodo,imacec: mid-month values 2011-2021 with ~15% of
                    the months missing (the as-of join takes the previous).

Usage: gen_data.py [DIR]   (default: data/ beside this script)
"""
import os
import random
import sys

MESES = ["Ene", "Feb", "Mar", "Abr", "May", "Jun", "Jul", "Ago", "Sep", "Oct", "Nov", "Dic"]


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(d, exist_ok=True)
    random.seed(3)
    with open(os.path.join(d, "precios.csv"), "w", newline="") as f:
        f.write("mes,precio\r\n")
        p = 1_000_000.0
        for y in range(2012, 2022):
            for m in range(12):
                p *= 1 + random.gauss(0.004, 0.02)
                whole, frac = f"{p:.2f}".split(".")
                txt = f"{int(whole):,}".replace(",", ".") + "," + frac
                f.write(f'{MESES[m]}-{y},"{txt}"\r\n')
        f.write("Ago-20x4,\"1.000,00\"\r\n")      # invalid date: rejected
    with open(os.path.join(d, "macro.csv"), "w") as f:
        f.write("periodo,imacec\n")
        for y in range(2011, 2022):
            for m in range(1, 13):
                if random.random() < 0.15:
                    continue                        # gaps: as-of takes the previous
                f.write(f"{y}-{m:02d}-15,{100 + random.gauss(0, 5):.3f}\n")


if __name__ == "__main__":
    main()
