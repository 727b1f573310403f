using Kfac.Examples;
using Kfac.Examples.ReinforcementLearning;

// Reinforcement learning on gymnasium's classic-control tasks and MinAtar with A2C, PPO and ACKTR:
//   dotnet run -c Release --project examples/ReinforcementLearning -- --env CartPole-v1 --algo ppo \
//       --timesteps 100000 --envs 8 --hyper zoo --seed 1 --log ppo.jsonl --checkpoint ppo.safetensors
//   dotnet run -c Release --project examples/ReinforcementLearning -- --env CartPole-v1 --checkpoint ppo.safetensors --evaluate
// The command line and the run are in ReinforcementLearningCommand. A user error prints one line "error: ..." and
// exits with code 2.
return ExampleMain.Invoke(ReinforcementLearningCommand.Create(), args);
