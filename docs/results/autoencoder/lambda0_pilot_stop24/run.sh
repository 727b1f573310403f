cd /work/main
out=docs/results/autoencoder/lambda0_pilot_stop24
printf '%s\n' "0.15 20 0" "0.15 20 1" "0.15 20 2" "0.15 5 0" "0.15 5 1" "0.15 5 2" | xargs -P 2 -L 1 bash -c 'dotnet examples/Autoencoder/bin/Release/net10.0/Autoencoder.dll --data fashion-mnist --optimizer kfac --lambda $0 --inverse-interval $1 --seed $2 --threads 1 --steps 330 --eval-every-steps 2 --log-every 1e9 --log '"$out"'/kfac_lambda$0_T3_$1_seed$2.jsonl > '"$out"'/kfac_lambda$0_T3_$1_seed$2.txt 2>&1'
