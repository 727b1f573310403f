namespace Kfac.Training;

/// <summary>Training stopped because step after step had a non-finite loss or gradient (see
/// <see cref="Trainer.MaxConsecutiveNonFiniteSteps"/>): usually a learning rate far too large. A user error
/// (the options), so programs print its one-line message.</summary>
public sealed class TrainingDivergedException(string message) : UserInputException(message);
