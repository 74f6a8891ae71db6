# Busy cell's CPU time relative to EEVDF per configuration (bench_workcons), with the 0.95 goal.
# gnuplot -e "csv='workcons.csv'; png='workcons.png'" workcons.gp
set datafile separator ","
set key autotitle columnheader
set terminal pngcairo size 800,450 noenhanced font ",10"
set output png
set title "Busy cell beside idle cells: CPU time vs EEVDF (VM, TCG)"
set style data histograms
set style fill solid 0.8 border -1
set ylabel "CPU time of the busy cell / EEVDF's"
set yrange [0:1.3]
set grid ytics
set key top right
set xtics rotate by -20
plot csv using 3:xtic(1) title "CPU time ratio", \
     '' using 7 title "bogo ops/s ratio (noisy)", \
     0.95 with lines dt 2 lw 2 title "goal for borrowing (0.95)"
