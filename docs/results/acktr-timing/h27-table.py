import json,sys
for path in sys.argv[1:]:
    print(f"### {path.split('/')[-1]}")
    print("| binary | setting | A2C ms | ACKTR ms | ratio amortised | median round (min-max) | forward | Fisher bwd | statistics | backward | inverses | wait | precondition | update | bg refresh ms | ACKTR precond. bytes/update | runner env steps/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    label=None
    for l in open(path).read().splitlines():
        if l.startswith('##'): label=l.split(':')[0][3:]; continue
        if not l.startswith('{'): continue
        d=json.loads(l)
        ph=['forward','fisher_backward','statistics','backward','inverses','inverse_wait','precondition','update']
        env='CartPole' if d['env'].startswith('Cart') else 'MinAtar'
        style=d.get('damping_style','eigenbasis')
        print(f"| {label} | {env} b{d['batch']} S{d['inverse_staleness']} {style} | {d['a2c_ms_per_update']:.2f} | {d['acktr_ms_per_update']:.2f} | **{d['ratio_amortised']:.2f}** | {d['ratio_median_round']:.2f} ({d['ratio_min_round']:.2f}-{d['ratio_max_round']:.2f}) | "+' | '.join(f"{d['acktr_'+p+'_ms']:.2f}" for p in ph)+f" | {d['background_refresh_ms']:.0f} | {d['acktr_precondition_bytes']:.0f} | {d.get('runner_env_steps_per_s',0):.3g} |")
